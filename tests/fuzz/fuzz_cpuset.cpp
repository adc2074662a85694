// libFuzzer target for the cpu list parser of lib/cpuset (parse_cpu_list, format_cpu_list).
// Invariants beyond not crashing: an accepted list is sorted, without duplicates, within
// kMaxCpuNumber; formatting it and parsing again gives the same CPUs; the formatted text is
// canonical (formatting is a fixed point).
#include "cpuset.hpp"
#include "fuzz_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto cpus = cgfs::parse_cpu_list(text);
    if (!cpus)
        return 0;
    FUZZ_CHECK(std::adjacent_find(cpus->begin(), cpus->end(), [](unsigned a, unsigned b) { return a >= b; }) ==
               cpus->end());
    FUZZ_CHECK(cpus->empty() || cpus->back() <= cgfs::kMaxCpuNumber);
    const std::string formatted = cgfs::format_cpu_list(*cpus);
    const auto again = cgfs::parse_cpu_list(formatted);
    FUZZ_CHECK(again && *again == *cpus);
    FUZZ_CHECK(cgfs::format_cpu_list(*again) == formatted);
    return 0;
}
