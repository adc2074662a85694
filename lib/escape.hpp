// cgfs: makes text that a user can choose (user names, cgroup names, options, file lines) safe to
// print on an administrator's terminal or in a log line: every control character and every byte
// that is not part of valid UTF-8 becomes a visible \xNN escape.
#pragma once

#include <string>
#include <string_view>

namespace cgfs {

/// `text` with every byte that could split a line or drive a terminal written as `\xNN`
/// (lower-case hex): the C0 controls 0x00-0x1f and DEL 0x7f, the C1 controls U+0080-U+009F
/// (ECMA-48 section 5; a terminal may act on them, e.g. U+009B as CSI) whose UTF-8 form
/// `\xc2\x80`-`\xc2\x9f` is escaped byte by byte, and every byte that does not belong to a
/// well-formed UTF-8 sequence (RFC 3629 section 4: stray continuation bytes such as a raw 0x9b,
/// overlong forms, surrogates, code points above U+10FFFF, truncated sequences).
/// Everything else, printable ASCII and valid UTF-8 text such as "é", is kept as it is.
/// The result is valid UTF-8 without control characters; a backslash is kept as it is, so
/// escaping an escaped text changes nothing (the library escapes what it puts into a message and
/// the PAM adapter escapes the whole line again). Never fails; allocates.
std::string escape_control(std::string_view text);

} // namespace cgfs
