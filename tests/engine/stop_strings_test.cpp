#include "engine/stop_strings.h"

#include <gtest/gtest.h>

namespace minerva {
namespace {

// Feeds `pieces` one by one; returns everything released.
std::string run(StopStringFilter& f, const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += f.push(p);
  if (!f.stopped()) out += f.flush();
  return out;
}

TEST(StopStrings, StopsBeforeTheMatchAcrossPieces) {
  StopStringFilter f({"</end>"});
  EXPECT_EQ(f.push("hello </"), "hello ");  // "</" could start the stop string: held
  EXPECT_FALSE(f.stopped());
  EXPECT_EQ(f.push("en"), "");
  EXPECT_EQ(f.push("d> tail"), "");
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.push("more"), "");
}

TEST(StopStrings, ReleasesHeldTextWhenItCannotMatch) {
  StopStringFilter f({"STOP"});
  EXPECT_EQ(f.push("a ST"), "a ");
  EXPECT_EQ(f.push("ay"), "STay");
  EXPECT_EQ(f.flush(), "");
}

TEST(StopStrings, EarliestOfSeveralWins) {
  StopStringFilter f({"world", "lo w"});
  EXPECT_EQ(run(f, {"hello world"}), "hel");
}

TEST(StopStrings, NoStopsPassesEverything) {
  StopStringFilter f({"", ""});
  EXPECT_EQ(run(f, {"a", "b", ""}), "ab");
}

TEST(StopStrings, FlushReturnsAPartialPrefixAtTheEnd) {
  StopStringFilter f({"\n\nUser:"});
  EXPECT_EQ(f.push("answer\n\nUs"), "answer");
  EXPECT_EQ(f.flush(), "\n\nUs");
}

TEST(StopStrings, MultiByteTextIsNeverSplitInsideACharacter) {
  StopStringFilter f({"é!"});
  EXPECT_EQ(f.push("caf\xC3\xA9"), "caf");  // "é" may begin "é!"
  EXPECT_EQ(f.push("?"), "\xC3\xA9?");
}

}  // namespace
}  // namespace minerva
