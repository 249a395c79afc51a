// The name of an ADD <url> file. Expected values come from BuildKit's own tests
// (source/util/pathutil/pathutil_test.go TestSafeFileName; source/http/source_test.go
// TestHTTPSource, TestHTTPDefaultName), from getFileName's code, and from Go's mime tests
// (src/mime/mediatype_test.go TestParseMediaType, the greenbytes.de tc2231 cases).
#include "solver/http_file_name.h"

#include <catch2/catch.hpp>
#include <string>

namespace bt::solver {
namespace {

TEST_CASE("SafeFileName keeps a base name and refuses the unsafe", "[solver][http_file_name]") {
  // pathutil_test.go's table, Linux half.
  CHECK(SafeFileName("foo") == "foo");
  CHECK(SafeFileName("foo.txt") == "foo.txt");
  CHECK(SafeFileName("資料.txt") == "資料.txt");
  CHECK(SafeFileName("тест-файл") == "тест-файл");
  CHECK(SafeFileName("name with spaces.txt") == "name with spaces.txt");
  CHECK(SafeFileName("  foo.txt  ") == "foo.txt");
  CHECK(SafeFileName("a/b/c.txt") == "c.txt");
  CHECK(SafeFileName("") == "download");
  CHECK(SafeFileName(".") == "download");
  CHECK(SafeFileName("..") == "download");
  CHECK(SafeFileName("../") == "download");
  CHECK(SafeFileName(std::string("a\0b", 3)) == "download");
  CHECK(SafeFileName("a\nb") == "download");
  CHECK(SafeFileName("..\\") == "..\\");
  CHECK(SafeFileName("a\\b\\c.txt") == "a\\b\\c.txt");
  // The same rules on inputs the table leaves out.
  CHECK(SafeFileName("../../etc/cron.d/x") == "x");
  CHECK(SafeFileName("dir/") == "dir");
  CHECK(SafeFileName("a\x7f") == "download");
  CHECK(SafeFileName("a\xc2\x85z") == "download");              // U+0085 is a control character
  CHECK(SafeFileName("\xc2\xa0x.txt\xe3\x80\x80") == "x.txt");  // NBSP, ideographic space
  CHECK(SafeFileName("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(SafeFileName("/") == "/");  // filepath.Base("/"): BuildKit then fails to create it
}

TEST_CASE("the IR's filename wins over the answer and the URL", "[solver][http_file_name]") {
  oci::HttpHeaders headers;
  headers.Add("Content-Disposition", "attachment; filename=\"from-header.txt\"");
  // What the Dockerfile frontend sends (convert_copy.go): the URL's base or "__unnamed__".
  CHECK(HttpSourceFileName("http://h/foo", "foo", &headers) == "foo");
  CHECK(HttpSourceFileName("http://h/", "__unnamed__", &headers) == "__unnamed__");
  CHECK(HttpSourceFileName("http://h/x", "../../etc/passwd", &headers) == "passwd");
  CHECK(HttpSourceFileName("http://h/x", " ", &headers) == "download");
}

TEST_CASE("without a filename, Content-Disposition names the file", "[solver][http_file_name]") {
  const std::string url = "http://h/from-url";
  auto name = [&](const std::string& disposition) {
    oci::HttpHeaders headers;
    headers.Add("Content-Disposition", disposition);
    return HttpSourceFileName(url, "", &headers);
  };
  // tc2231 cases with a filename parameter, as Go decodes them.
  CHECK(name(R"(attachment; filename="foo.html")") == "foo.html");
  CHECK(name(R"(attachment; filename=foo.html)") == "foo.html");
  CHECK(name(R"(attachment; filename=foo.html ;)") == "foo.html");
  CHECK(name(R"(attachment; FILENAME="foo.html")") == "foo.html");
  CHECK(name(R"(ATTACHMENT; filename ="foo.html")") == "foo.html");
  CHECK(name(R"(attachment; filename="\"quoting\" tested.html")") == "\"quoting\" tested.html");
  CHECK(name(R"(attachment; filename="Here's a semicolon;.html")") == "Here's a semicolon;.html");
  CHECK(name(R"(attachment; filename="f\oo.html")") == "f\\oo.html");
  CHECK(name(R"(attachment; filename='foo.html')") == "'foo.html'");
  CHECK(name(R"(attachment; filename="foo-%41.html")") == "foo-%41.html");
  CHECK(name(R"(attachment; foo="\"\\";filename="foo.html")") == "foo.html");
  CHECK(name(R"(attachment; filename*=UTF-8''foo-%c3%a4-%e2%82%ac.html)") == "foo-ä-€.html");
  CHECK(name(R"(attachment; filename*= UTF-8''foo-%c3%a4.html)") == "foo-ä.html");
  CHECK(name(R"(attachment; filename* =UTF-8''foo-%c3%a4.html)") == "foo-ä.html");
  CHECK(name(R"(attachment; filename*="UTF-8''foo-%c3%a4.html")") == "foo-ä.html");
  CHECK(name(R"(attachment; filename*=UTF-8''A-%2541.html)") == "A-%41.html");
  CHECK(name(R"(attachment; filename*0="foo."; filename*1="html")") == "foo.html");
  CHECK(name(R"(attachment; filename*0*=UTF-8''foo-%c3%a4; filename*1=".html")") == "foo-ä.html");
  CHECK(name(R"(inline; filename="a.txt"; filename*=utf-8''b.txt)") == "b.txt");
  // A hostile name is cut to its base (SECURITY.md case 26).
  CHECK(name(R"(attachment; filename="../../etc/cron.d/x")") == "x");
  CHECK(name(R"(attachment; filename="/etc/passwd")") == "passwd");
}

TEST_CASE("an unusable Content-Disposition falls back to the URL", "[solver][http_file_name]") {
  const std::string url = "http://h/from-url";
  auto name = [&](const std::string& disposition) {
    oci::HttpHeaders headers;
    headers.Add("Content-Disposition", disposition);
    return HttpSourceFileName(url, "", &headers);
  };
  // No filename, or Go's ParseMediaType fails (tc2231 cases it rejects).
  CHECK(name("attachment") == "from-url");
  CHECK(name("") == "from-url");
  CHECK(name(R"(attachment; xfilename=foo.html)") == "from-url");
  CHECK(name(R"(filename=foo.html)") == "from-url");
  CHECK(name(R"(; filename=foo.html)") == "from-url");
  CHECK(name(R"(inline; attachment; filename=foo.html)") == "from-url");
  CHECK(name(R"(attachment; filename="foo.html".txt)") == "from-url");
  CHECK(name(R"(attachment; filename="bar)") == "from-url");
  CHECK(name(R"(attachment; filename=bar foo=foo)") == "from-url");
  CHECK(name(R"(attachment filename=bar)") == "from-url");
  CHECK(name(R"(attachment; filename=a; filename=b)") == "from-url");          // duplicate
  CHECK(name(R"(attachment; filename*=''foo-%c3%a4.html)") == "from-url");     // no charset
  CHECK(name(R"(attachment; filename*="foo%20bar.html")") == "from-url");      // no quotes
  CHECK(name(R"(attachment; filename*=UTF-8''f%oo.html)") == "from-url");      // bad escape
  CHECK(name(R"(attachment; filename*=iso-8859-1''foo.html)") == "from-url");  // charset
  CHECK(name(R"(attachment; filename="")") == "from-url");
  // A name ending in '/' is skipped (getFileName), one that is all slashes too.
  CHECK(name(R"(attachment; filename="dir/")") == "from-url");
  // A control character makes the name "download", not the URL's (SafeFileName decides).
  CHECK(name("attachment; filename=\"a\x01z\"") == "download");
}

TEST_CASE("without either, the URL's decoded path names the file", "[solver][http_file_name]") {
  CHECK(HttpSourceFileName("http://127.0.0.1:8080/foo", "", nullptr) == "foo");  // TestHTTPSource
  CHECK(HttpSourceFileName("http://127.0.0.1:8080", "", nullptr) ==
        "download");  // TestHTTPDefaultName
  CHECK(HttpSourceFileName("http://h/", "", nullptr) == "download");
  CHECK(HttpSourceFileName("http://h/a/b.tar.gz?x=1&y=/z#frag", "", nullptr) == "b.tar.gz");
  CHECK(HttpSourceFileName("http://h/a%20b.txt", "", nullptr) == "a b.txt");
  CHECK(HttpSourceFileName("http://h/a%2Fb", "", nullptr) == "b");
  CHECK(HttpSourceFileName("http://h/dir/", "", nullptr) == "dir");
  CHECK(HttpSourceFileName("http://h/%2e%2e", "", nullptr) == "download");
  CHECK(HttpSourceFileName("http://h/x%zz", "", nullptr) == "download");  // url.Parse fails
  CHECK(HttpSourceFileName("http://user:pw@h:1/p/q.bin", "", nullptr) == "q.bin");
  oci::HttpHeaders no_disposition;
  no_disposition.Add("Content-Type", "application/octet-stream");
  CHECK(HttpSourceFileName("https://h/file.iso", "", &no_disposition) == "file.iso");
}

}  // namespace
}  // namespace bt::solver
