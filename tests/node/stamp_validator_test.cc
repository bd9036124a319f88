#include "services/node/stamp_validator.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"
#include "tests/support/process.h"

namespace herd {
namespace {

constexpr Instant kNow{1700000000, 500000000};

StampValidator Validator(absl::Duration max_ahead = absl::Hours(24)) {
  return StampValidator({"Goloman", "Hands"}, max_ahead);
}

v1::LocationStamp Genuine(absl::string_view time = "1700000000.25") {
  absl::StatusOr<v1::LocationStamp> stamp =
      MakeStamp("victim", "+48.858370+002.294481", time, "Hands", kNow);
  EXPECT_TRUE(stamp.ok()) << stamp.status();
  return *stamp;
}

// The error names `field`.
void ExpectRejected(const StampValidator& validator, const v1::LocationStamp& stamp,
                    absl::string_view field) {
  absl::Status status = validator.Check(stamp, kNow);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field;
  EXPECT_NE(status.message().find(field), absl::string_view::npos) << status.message();
}

TEST(StampValidator, AcceptsWhatANodeMakes) {
  EXPECT_TRUE(Validator().Check(Genuine(), kNow).ok());
  // Up to the bound ahead, to the nanosecond.
  EXPECT_TRUE(Validator().Check(Genuine("1700086400.5"), kNow).ok());
  EXPECT_TRUE(Validator().CheckClientTime(Genuine("1700086400.5"), kNow).ok());
  // The past is never a problem.
  EXPECT_TRUE(Validator().Check(Genuine("-5"), kNow).ok());
}

TEST(StampValidator, ClientTimesTooFarAheadAreRefused) {
  for (const char* time : {"1700086400.500000001", "4000000000.000000000"}) {
    v1::LocationStamp stamp = Genuine(time);
    absl::Status status = Validator().CheckClientTime(stamp, kNow);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << time;
    EXPECT_NE(status.message().find("client_time"), absl::string_view::npos) << status;
    ExpectRejected(Validator(), stamp, "client_time");
  }
  // A bound of one hour; zero turns the check off.
  EXPECT_FALSE(Validator(absl::Hours(1)).CheckClientTime(Genuine("1700003601"), kNow).ok());
  EXPECT_TRUE(Validator(absl::ZeroDuration()).Check(Genuine("4000000000"), kNow).ok());
  EXPECT_TRUE(
      Validator(absl::ZeroDuration()).CheckClientTime(Genuine("99999999999999"), kNow).ok());
}

TEST(StampValidator, PeerStampsMustBeConsistent) {
  StampValidator validator = Validator();
  v1::LocationStamp moved = Genuine();
  moved.set_latitude(10);
  ExpectRejected(validator, moved, "latitude/longitude");
  v1::LocationStamp bad_text = Genuine();
  bad_text.set_location_text("+91+000");
  ExpectRejected(validator, bad_text, "location_text");
  v1::LocationStamp retimed = Genuine();
  retimed.mutable_client_time()->set_seconds(4000000000);
  ExpectRejected(validator, retimed, "client_time");
  v1::LocationStamp bad_nanos = Genuine();
  bad_nanos.mutable_client_time()->set_nanos(1000000000);
  ExpectRejected(validator, bad_nanos, "client_time");
  v1::LocationStamp bad_time_text = Genuine();
  bad_time_text.set_client_time_text("1e9");
  ExpectRejected(validator, bad_time_text, "client_time_text");
  v1::LocationStamp stranger = Genuine();
  stranger.set_origin("Mallory");
  ExpectRejected(validator, stranger, "origin");
  v1::LocationStamp no_origin = Genuine();
  no_origin.clear_origin();
  ExpectRejected(validator, no_origin, "origin");
  v1::LocationStamp received_later = Genuine();
  received_later.mutable_received_at()->set_seconds(4000000000);
  ExpectRejected(validator, received_later, "received_at");
  v1::LocationStamp spaced = Genuine();
  spaced.set_client_id("a b");
  ExpectRejected(validator, spaced, "client_id");
  v1::LocationStamp huge = Genuine();
  huge.set_location_text(std::string(StampValidator::kMaxTextBytes + 1, '0'));
  ExpectRejected(validator, huge, "location_text");
  v1::LocationStamp long_time = Genuine();
  long_time.set_client_time_text(std::string(StampValidator::kMaxTextBytes + 1, '1'));
  ExpectRejected(validator, long_time, "client_time_text");
}

TEST(StampValidator, DropsAreCountedAndLoggedWithoutFloodingTheLog) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<AsyncLog>> log = AsyncLog::Open(dir.path() + "/node.log");
  ASSERT_TRUE(log.ok());
  StampValidator validator = Validator();
  absl::Status why = absl::InvalidArgumentError("client_time: too far ahead");
  for (int i = 0; i < 10000; ++i) validator.RecordDropped("Hands", why, log->get());
  EXPECT_EQ(validator.dropped(), 10000u);
  (*log)->Flush();
  std::string text = testing::ReadFile(dir.path() + "/node.log");
  size_t lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 3u) << text;  // one per second at most
  EXPECT_NE(text.find("recv from Hands dropped invalid stamp: client_time: too far ahead"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace herd
