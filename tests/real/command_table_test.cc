// The command table drives the dispatcher, COMMAND and the README's list: check the README
// names exactly the table's commands, and the table's own consistency.
#include "real/command_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "real/kv_commands.h"
#include "real/node_server.h"

namespace kvlab::real {
namespace {

// The README block between the markers, as the upper-case names in backticks it lists.
std::set<std::string> ReadmeCommands(std::string* block) {
  std::ifstream in(KVLAB_SOURCE_DIR "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const size_t begin = text.find("<!-- commands:begin -->"), end = text.find("<!-- commands:end -->");
  if (begin == std::string::npos || end == std::string::npos) return {};
  *block = text.substr(begin, end - begin);
  std::set<std::string> names;
  for (size_t at = block->find('`'); at != std::string::npos; at = block->find('`', at + 1)) {
    const size_t close = block->find('`', at + 1);
    if (close == std::string::npos) break;
    names.insert(absl::AsciiStrToLower(block->substr(at + 1, close - at - 1)));
    at = close;
  }
  return names;
}

TEST(CommandTableTest, ReadmeListsExactlyTheServedCommands) {
  std::string block;
  const std::set<std::string> readme = ReadmeCommands(&block);
  std::set<std::string> table;
  std::string expected;
  for (const CommandSpec& s : CommandTable()) {
    table.insert(std::string(s.name));
    expected += "`" + absl::AsciiStrToUpper(std::string(s.name)) + "` ";
  }
  EXPECT_EQ(readme, table) << "README.md's list between <!-- commands:begin --> and <!-- commands:end --> must "
                              "name every command of real/command_table.cc and no other; the table has: "
                           << expected;
}

TEST(CommandTableTest, KindsMatchTheHandlers) {
  for (const CommandSpec& s : CommandTable()) {
    EXPECT_EQ(IsKvCommand(s.name), s.kind == CommandKind::kKv) << s.name;
    EXPECT_EQ(IsServerCommand(s.name), s.kind == CommandKind::kServer) << s.name;
    EXPECT_EQ(FindCommand(s.name), &s);
    EXPECT_FALSE(s.summary.empty()) << s.name;
    EXPECT_NE(s.arity, 0) << s.name;
  }
  EXPECT_EQ(FindCommand("eval"), nullptr);  // Lua is not served (README)
}

TEST(CommandTableTest, NamesAreFoundInAnyCase) {
  for (const CommandSpec& s : CommandTable()) {
    EXPECT_EQ(FindCommand(absl::AsciiStrToUpper(std::string(s.name))), &s) << s.name;
    std::string mixed(s.name);
    mixed[0] = absl::ascii_toupper(mixed[0]);
    EXPECT_EQ(FindCommand(mixed), &s) << s.name;
  }
  EXPECT_EQ(FindCommand("GE@"), nullptr);  // '@' with bit 0x20 is '`', not a letter of a name.
  EXPECT_EQ(FindCommand(""), nullptr);
  EXPECT_EQ(FindCommand("gets"), nullptr);
  EXPECT_EQ(FindCommand("ge"), nullptr);
}

TEST(CommandTableTest, ArityFollowsRedisConvention) {
  const CommandSpec* get = FindCommand("get");
  const CommandSpec* set = FindCommand("set");
  ASSERT_NE(get, nullptr);
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(ArityOk(*get, 2));
  EXPECT_FALSE(ArityOk(*get, 3));
  EXPECT_FALSE(ArityOk(*set, 2));
  EXPECT_TRUE(ArityOk(*set, 7));
}

}  // namespace
}  // namespace kvlab::real
