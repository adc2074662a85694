// cgfs: expected failures as values.
// Result<T> holds a T or an Error {errno, context}; callers add context on the way up and the PAM
// adapter turns the final Error into one log line. Nothing in lib/ throws for expected failures.
#pragma once

#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace cgfs {

/// An expected failure: the errno value and a human-readable context ("freezer: /user/alice: mkdir").
struct Error {
    int code = 0;
    std::string context;

    /// "context: strerror(code)" — the text a log line carries.
    [[nodiscard]] std::string message() const
    {
        std::string text = context;
        if (code != 0) {
            if (!text.empty())
                text += ": ";
            text += std::strerror(code);
        }
        return text;
    }

    /// The same error with `outer` put in front of the context ("outer: context").
    [[nodiscard]] Error wrap(std::string_view outer) const
    {
        std::string text(outer);
        if (!context.empty()) {
            text += ": ";
            text += context;
        }
        return Error{code, std::move(text)};
    }
};

/// Builds an Error from an errno value and a context string.
[[nodiscard]] inline Error make_error(int code, std::string context)
{
    return Error{code, std::move(context)};
}

/// Value or Error. `ok()` tells which; `value()`/`error()` read it (only the held alternative).
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : data_(std::move(value)) {}
    Result(Error error) : data_(std::move(error)) {}

    [[nodiscard]] bool ok() const noexcept { return data_.index() == 0; }
    [[nodiscard]] T& value() & { return std::get<0>(data_); }
    [[nodiscard]] const T& value() const& { return std::get<0>(data_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(data_)); }
    [[nodiscard]] const Error& error() const { return std::get<1>(data_); }

private:
    std::variant<T, Error> data_;
};

/// Success without a value, or an Error.
template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    [[nodiscard]] bool ok() const noexcept { return !failed_; }
    [[nodiscard]] const Error& error() const { return error_; }

private:
    Error error_;
    bool failed_ = false;
};

/// Marks an error as deliberately ignored at the call site (a named, visible act).
template <typename T> inline void ignore_error(const Result<T>&) noexcept
{}

} // namespace cgfs
