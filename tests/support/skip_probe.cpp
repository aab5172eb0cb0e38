// Probe cases for tests/support/check_skip.sh: each shows how the skip rule of test_support.h ends
// a test process. Hidden ([.]): never part of a normal run; check_skip.sh runs them one by one and
// checks the exit status ctest would see (77 = skipped, see kSkipReturnCode).
#include <catch2/catch.hpp>

#include "support/test_support.h"

TEST_CASE("probe: skip before any assertion", "[.probe]") {
  if (!needle::test::skip_or_fail("probe skip")) return;
  CHECK(false);  // never reached
}

TEST_CASE("probe: a failure then a skip", "[.probe]") {
  CHECK(1 + 1 == 3);
  if (!needle::test::skip_or_fail("probe skip after a failure")) return;
}

TEST_CASE("probe: a pass then a skip", "[.probe]") {
  CHECK(1 + 1 == 2);
  if (!needle::test::skip_or_fail("probe skip after a passing check")) return;
}

TEST_CASE("probe: a skip then a failure", "[.probe]") {
  needle::test::skip_or_fail("probe skip, then going on");
  CHECK(1 + 1 == 3);
}

TEST_CASE("probe: 77 failed assertions", "[.probe]") {
  for (int i = 0; i < 77; ++i) CHECK(i < 0);
}

TEST_CASE("probe: passes", "[.probe]") {
  CHECK(1 + 1 == 2);
}
