#include "executor/fileop/mode_expression.h"

#include <sys/stat.h>

#include <string>

namespace bt::executor {
namespace {

constexpr uint16_t kSetUid = 04000;
constexpr uint16_t kSetGid = 02000;
constexpr uint16_t kSticky = 01000;
constexpr uint16_t kUser = 0700;
constexpr uint16_t kGroup = 0070;
constexpr uint16_t kOther = 0007;
constexpr uint16_t kRead = 0444;
constexpr uint16_t kWrite = 0222;
constexpr uint16_t kExec = 0111;
constexpr uint16_t kStandard = kSetUid | kSetGid | kUser | kGroup | kOther;  // 06777: no sticky
// With a umask of 0 every bit is allowed where no class is named ("+x" means "a+x").
constexpr uint16_t kUmaskAllows = 0xFFFF;

// Flags of a copy step: which classes receive the bits, and whether they are set, cleared
// or both (`=`).
constexpr uint8_t kCopyClear = 1;
constexpr uint8_t kCopySet = 2;
constexpr uint8_t kToGroup = 4;
constexpr uint8_t kToOther = 8;
constexpr uint8_t kToUser = 16;

Error Syntax(std::string_view text) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid chmod mode \"" + std::string(text) + "\": invalid syntax");
}

}  // namespace

void ModeExpression::Add(char op, uint16_t who, uint16_t arg) {
  switch (op) {
    case '=':
      // "=" is "clear the named classes (all but sticky when none are named), then add".
      steps_.push_back(Step{'-', 0, who != 0 ? who : kStandard});
      op = '+';
      [[fallthrough]];
    case '+':
    case '-':
    case 'X':
      steps_.push_back(Step{op, 0, static_cast<uint16_t>((who != 0 ? who : kUmaskAllows) & arg)});
      return;
    default: {  // 'u', 'g', 'o': copy that class; `arg` is the operator
      Step s{op, 0, 0};
      if (who != 0) {
        if (who & 0400) s.copy |= kToUser;
        if (who & 0040) s.copy |= kToGroup;
        if (who & 0004) s.copy |= kToOther;
        s.bits = 0xFFFF;
      } else {
        s.copy = kToUser | kToGroup | kToOther;
        s.bits = kUmaskAllows;
      }
      if (arg == '+') s.copy |= kCopySet;
      if (arg == '-') s.copy |= kCopyClear;
      if (arg == '=') s.copy |= kCopySet | kCopyClear;
      steps_.push_back(s);
      return;
    }
  }
}

Result<ModeExpression> ModeExpression::Parse(std::string_view text) {
  ModeExpression m;
  std::string_view s = text;
  if (s.empty()) return Syntax(text);

  if (s[0] >= '0' && s[0] <= '9') {
    // strconv.ParseInt(s, 8, 16): octal digits only, at most 32767; then at most 07777.
    long value = 0;
    for (char c : s) {
      if (c < '0' || c > '7') return Syntax(text);
      value = value * 8 + (c - '0');
      if (value > 077777) return Syntax(text);
    }
    if (value & ~07777L) return Syntax(text);
    m.Add('=', kStandard | kSticky, static_cast<uint16_t>(value));
    return m;
  }

  bool equal_done = false;
  for (;;) {
    uint16_t who = 0;
    for (;;) {
      if (s.empty()) return Syntax(text);
      const char c = s[0];
      if (c == 'a') {
        who |= kStandard;
      } else if (c == 'u') {
        who |= kSetUid | kUser;
      } else if (c == 'g') {
        who |= kSetGid | kGroup;
      } else if (c == 'o') {
        who |= kOther;
      } else {
        break;
      }
      s.remove_prefix(1);
    }
    // One or more operators for this clause's classes (`u+r-w` has two).
    for (;;) {
      if (s.empty()) return Syntax(text);
      const char op = s[0];
      s.remove_prefix(1);
      if (op != '+' && op != '-' && op != '=') return Syntax(text);
      if (op == '=') equal_done = false;
      who &= static_cast<uint16_t>(~kSticky);
      uint16_t perm = 0;
      uint16_t perm_x = 0;
      for (;; s.remove_prefix(1)) {
        const char b = s.empty() ? '\0' : s[0];
        // setuid/setgid and sticky mean nothing for "other" alone.
        const bool not_only_other = who == 0 || (who & ~kOther) != 0;
        if (b == 'r') {
          perm |= kRead;
        } else if (b == 'w') {
          perm |= kWrite;
        } else if (b == 'x') {
          perm |= kExec;
        } else if (b == 'X') {
          if (op != '-') {
            perm_x = kExec;
          } else {
            perm |= kExec;
          }
        } else if (b == 's') {
          if (not_only_other) perm |= kSetUid | kSetGid;
        } else if (b == 't') {
          if (not_only_other) {
            who |= kSticky;
            perm |= kSticky;
          }
        } else if (b == 'u' || b == 'g' || b == 'o') {
          if (perm != 0) {
            m.Add(op, who, perm);
            perm = 0;
          }
          if (op == '=') equal_done = true;
          if (perm_x != 0) {
            m.Add('X', who, perm_x);
            perm_x = 0;
          }
          m.Add(b, who, static_cast<uint16_t>(op));
        } else {
          if (perm != 0 || (op == '=' && !equal_done)) {
            if (op == '=') equal_done = true;
            m.Add(op, who, perm);
          }
          if (perm_x != 0) m.Add('X', who, perm_x);
          break;
        }
      }
      if (s.empty()) return m;
      if (s[0] == ',') break;
    }
    s.remove_prefix(1);  // the ','
  }
}

mode_t ModeExpression::Apply(mode_t mode) const {
  const uint16_t old_bits = static_cast<uint16_t>(mode & 07777);
  uint16_t bits = old_bits;
  const auto copy = [&](const Step& step, uint16_t value) {
    if (step.copy & kCopyClear) {
      const uint16_t clear = (step.copy & kCopySet) ? kOther : value;
      if (step.copy & kToUser) bits &= static_cast<uint16_t>(~((clear << 6) & step.bits));
      if (step.copy & kToGroup) bits &= static_cast<uint16_t>(~((clear << 3) & step.bits));
      if (step.copy & kToOther) bits &= static_cast<uint16_t>(~(clear & step.bits));
    }
    if (step.copy & kCopySet) {
      if (step.copy & kToUser) bits |= static_cast<uint16_t>((value << 6) & step.bits);
      if (step.copy & kToGroup) bits |= static_cast<uint16_t>((value << 3) & step.bits);
      if (step.copy & kToOther) bits |= static_cast<uint16_t>(value & step.bits);
    }
  };
  for (const Step& step : steps_) {
    switch (step.op) {
      case 'u': copy(step, static_cast<uint16_t>((bits & kUser) >> 6)); break;
      case 'g': copy(step, static_cast<uint16_t>((bits & kGroup) >> 3)); break;
      case 'o': copy(step, static_cast<uint16_t>(bits & kOther)); break;
      case '+': bits |= step.bits; break;
      case '-': bits &= static_cast<uint16_t>(~step.bits); break;
      case 'X':
        if ((old_bits & kExec) != 0 || S_ISDIR(mode)) bits |= step.bits;
        break;
    }
  }
  return (mode & ~static_cast<mode_t>(07777)) | (bits & 07777);
}

}  // namespace bt::executor
