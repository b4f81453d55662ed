// Result<T>, Status, MINERVA_TRY / MINERVA_CHECK and error context.
#include "util/error.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace minerva {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error(std::string("'") + c + "' is not a digit");
  return c - '0';
}

Result<int> sum_digits(const std::string& s) {
  int sum = 0;
  for (char c : s) {
    MINERVA_TRY(int d, parse_digit(c));
    sum += d;
  }
  return sum;
}

Status check_even(int n) {
  if (n % 2 != 0) return make_error(std::to_string(n) + " is odd");
  return Ok{};
}

Status check_digit_sum_even(const std::string& s) {
  MINERVA_TRY(int sum, sum_digits(s));
  MINERVA_CHECK(check_even(sum));
  return Ok{};
}

TEST(ErrorResult, ValueAndError) {
  Result<int> ok = 7;
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, 7);
  EXPECT_EQ(ok.value(), 7);
  Result<int> bad = make_error("nope");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "nope");
}

TEST(ErrorResult, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(3);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 3);
}

TEST(ErrorResult, TryPropagatesTheFirstError) {
  EXPECT_EQ(sum_digits("123").value(), 6);
  auto r = sum_digits("12x4y");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "'x' is not a digit");
}

TEST(ErrorResult, CheckPropagatesStatus) {
  EXPECT_TRUE(check_digit_sum_even("1311").ok());
  Status odd = check_digit_sum_even("12");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().message, "3 is odd");
  EXPECT_EQ(check_digit_sum_even("a").error().message, "'a' is not a digit");
}

TEST(ErrorResult, WithContext) {
  Error e = make_error("tensor 'x': missing");
  EXPECT_EQ(e.with_context("loading m.gguf").message, "loading m.gguf: tensor 'x': missing");
  EXPECT_EQ(e.message, "tensor 'x': missing");  // the original is unchanged
}

}  // namespace
}  // namespace minerva
