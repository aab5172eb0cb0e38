// The viewer's per-user settings: where they live, round trip, and that a broken or unwritable
// config never stops the viewer.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gui/model/config.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace needle::view;

namespace {
// Points XDG_CONFIG_HOME / XDG_CACHE_HOME at a fresh folder for one test.
struct XdgHome {
  fs::path root;
  explicit XdgHome(const std::string& tag) : root(needle::test::temp_dir(tag)) {
    setenv("XDG_CONFIG_HOME", (root / "config").c_str(), 1);
    setenv("XDG_CACHE_HOME", (root / "cache").c_str(), 1);
  }
  ~XdgHome() {
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_CACHE_HOME");
  }
};
}  // namespace

TEST_CASE("viewer config lives in the user's XDG folders, never in a dataset", "[config]") {
  XdgHome home("config_dirs");
  CHECK(config_dir() == home.root / "config" / "needle");
  CHECK(cache_dir() == home.root / "cache" / "needle");
  unsetenv("XDG_CONFIG_HOME");
  const char* h = std::getenv("HOME");
  if (h && *h) CHECK(config_dir() == fs::path(h) / ".config" / "needle");
}

TEST_CASE("viewer config: panel sizes and recent datasets round trip", "[config]") {
  XdgHome home("config_roundtrip");
  CHECK(load_config().layout == LayoutSizes{});  // nothing saved yet: defaults
  ViewerConfig c;
  c.layout.list_width = 333.0f;
  c.layout.side_width = 401.5f;
  c.layout.camera_fraction = 0.61f;
  c.layout.inspector_fraction = 0.3f;
  c.recent = {"/data/kitti", "/tmp/demo"};
  REQUIRE(save_config(c));
  CHECK(fs::exists(home.root / "config" / "needle" / "viewer.json"));
  const ViewerConfig back = load_config();
  CHECK(back.layout == c.layout);
  CHECK(back.recent == c.recent);
}

TEST_CASE("viewer config: a broken file gives defaults, an unwritable folder is reported",
          "[config]") {
  XdgHome home("config_broken");
  needle::test::write_file(home.root / "config" / "needle" / "viewer.json", "{ not json");
  const ViewerConfig c = load_config();
  CHECK(c.layout == LayoutSizes{});
  CHECK(c.recent.empty());
  // A config folder that is a file cannot be written: save fails, nothing throws.
  needle::test::write_file(home.root / "blocked", "x");
  setenv("XDG_CONFIG_HOME", (home.root / "blocked").c_str(), 1);
  CHECK_FALSE(save_config(ViewerConfig{}));
}
