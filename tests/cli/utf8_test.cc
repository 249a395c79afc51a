// Strict UTF-8 decoding (RFC 3629): the table of well-formed sequences and the classic
// ill-formed ones (overlong, surrogates, past U+10FFFF, truncated, stray continuation).
#include "cli/progress/utf8.h"

#include <catch2/catch.hpp>

namespace bt::cli {
namespace {

TEST_CASE("well-formed UTF-8 decodes to its code point and length", "[cli][utf8]") {
  CHECK(DecodeUtf8("A").code_point == U'A');
  CHECK(DecodeUtf8("\xC2\xB5").code_point == 0xB5);
  CHECK(DecodeUtf8("\xC2\xB5").length == 2);
  CHECK(DecodeUtf8("\xE2\x82\xAC").code_point == 0x20AC);
  CHECK(DecodeUtf8("\xF0\x9F\x98\x80").code_point == 0x1F600);
  CHECK(DecodeUtf8("\xF4\x8F\xBF\xBF").code_point == 0x10FFFF);
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii\n"));
  CHECK(IsValidUtf8("gr\xC3\xBC\xC3\x9F dich \xE2\x82\xAC"));
}

TEST_CASE("ill-formed UTF-8 is rejected", "[cli][utf8]") {
  for (const char* bad : {"\x80", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                          "\xC3", "\xE2\x82", "\xFF", "\xF8\x88\x80\x80\x80"}) {
    CAPTURE(bad);
    CHECK(DecodeUtf8(bad).length == 0);
    CHECK_FALSE(IsValidUtf8(std::string("ok") + bad));
  }
}

}  // namespace
}  // namespace bt::cli
