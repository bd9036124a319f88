#include "services/node/stored_stamp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "services/core/stamp.h"
#include "services/node/stamp_store.h"

namespace herd {
namespace {

using google::protobuf::util::MessageDifferencer;

v1::LocationStamp Stamp(const std::string& client, const std::string& location,
                        const std::string& time, const std::string& origin, Instant received) {
  absl::StatusOr<v1::LocationStamp> s = MakeStamp(client, location, time, origin, received);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

StoredStamp::Ptr Record(const v1::LocationStamp& stamp) {
  return StoredStamp::Make(stamp, StampStore::KeyHash(stamp.client_id()),
                           StampStore::StampHash(stamp));
}

TEST(StoredStamp, GivesBackTheStampItWasMadeFrom) {
  v1::LocationStamp stamp = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                  "1520023934.918963997", "Goloman", {1520023935, 182837383});
  StoredStamp::Ptr record = Record(stamp);
  EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), stamp))
      << record->ToProto().DebugString();
  EXPECT_EQ(record->client_id(), "kiwi.cs.ucla.edu");
  EXPECT_EQ(record->location_text(), "+34.068930-118.445127");
  EXPECT_EQ(record->client_time_text(), "1520023934.918963997");
  EXPECT_EQ(record->origin(), "Goloman");
  EXPECT_EQ(record->latitude(), stamp.latitude());
  EXPECT_EQ(record->longitude(), stamp.longitude());
  EXPECT_EQ(record->client_time(), (Instant{1520023934, 918963997}));
  EXPECT_EQ(record->received_at(), (Instant{1520023935, 182837383}));
  EXPECT_EQ(record->key_hash(), StampStore::KeyHash(stamp.client_id()));
  EXPECT_EQ(record->stamp_hash(), StampStore::StampHash(stamp));
}

// Lengths are varints: texts of 0, 127, 128, 16383, 16384 and 65536 bytes (the longest id)
// all come back whole, with their neighbours intact.
TEST(StoredStamp, KeepsTextsOfEveryLengthClass) {
  for (size_t size :
       {size_t{1}, size_t{127}, size_t{128}, size_t{16383}, size_t{16384}, kMaxClientIdBytes}) {
    v1::LocationStamp stamp = Stamp(std::string(size, 'k'), "+1+2", "-5.5", "Hands", {7, 1});
    stamp.set_origin(std::string(size % 300, 'o'));
    StoredStamp::Ptr record = Record(stamp);
    EXPECT_EQ(record->client_id(), stamp.client_id()) << size;
    EXPECT_EQ(record->location_text(), "+1+2");
    EXPECT_EQ(record->client_time_text(), "-5.5");
    EXPECT_EQ(record->origin(), stamp.origin());
    EXPECT_EQ(record->client_time(), (Instant{-6, 500000000}));
    EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), stamp)) << size;
  }
}

TEST(StoredStamp, IsOneSmallAllocation) {
  v1::LocationStamp stamp = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                  "1520023934.918963997", "Goloman", {1520023935, 182837383});
  // 56 fixed bytes, four one-byte lengths and the 64 bytes of text.
  EXPECT_EQ(Record(stamp)->bytes(), 56u + 4u + 16u + 21u + 20u + 7u);
}

// A newer stamp of the client is written over the record when it fits the record's allocation
// (its size rounded up to 16 bytes); one that does not leaves the record as it was.
TEST(StoredStamp, OverwritesInPlaceOnlyWhatFits) {
  v1::LocationStamp first = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                  "1520023934.918963997", "Goloman", {1520023935, 182837383});
  StoredStamp::Ptr record = Record(first);
  ASSERT_EQ(record->bytes(), 124u);  // room for 128

  // Four bytes longer: exactly the room left.
  v1::LocationStamp longer = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                   "1520023999.918963997", "Wilkes12345", {1520024000, 5});
  ASSERT_TRUE(record->TryOverwrite(longer, StampStore::StampHash(longer)));
  EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), longer))
      << record->ToProto().DebugString();
  EXPECT_EQ(record->bytes(), 128u);
  EXPECT_EQ(record->key_hash(), StampStore::KeyHash("kiwi.cs.ucla.edu"));
  EXPECT_EQ(record->stamp_hash(), StampStore::StampHash(longer));

  v1::LocationStamp shorter =
      Stamp("kiwi.cs.ucla.edu", "+1+2", "1520024001", "Hands", {1520024002, 0});
  ASSERT_TRUE(record->TryOverwrite(shorter, StampStore::StampHash(shorter)));
  EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), shorter));
  ASSERT_EQ(record->bytes(), 95u);
  EXPECT_EQ(record->latitude(), 1);
  EXPECT_EQ(record->client_time(), (Instant{1520024001, 0}));

  // 116 bytes: past the room the shorter record counts (95 bytes, room for 96; the allocation
  // is larger, but a record knows only its own size). Refused, record unchanged.
  v1::LocationStamp too_long = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127", "1520024003.5",
                                     "Holiday", {1520024004, 0});
  EXPECT_FALSE(record->TryOverwrite(too_long, StampStore::StampHash(too_long)));
  EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), shorter));
  EXPECT_EQ(record->stamp_hash(), StampStore::StampHash(shorter));
}

// The record's order is CompareStamps' order, for every pair of fields that can decide it.
TEST(StoredStamp, OrdersLikeTheMessages) {
  std::vector<v1::LocationStamp> stamps = {
      Stamp("kiwi", "+1+1", "100", "Hands", {200, 0}),
      Stamp("kiwi", "+2+2", "100", "Goloman", {201, 0}),
      Stamp("kiwi", "+3+3", "100", "Goloman", {200, 5}),
      Stamp("kiwi", "+4+4", "99.999999999", "Welsh", {300, 0}),
      Stamp("kiwi", "+5+5", "100.0", "Goloman", {201, 0}),
      Stamp("kiwi", "+5+5", "100", "Goloman", {201, 0}),
      Stamp("kiwi", "+5+6", "100", "Goloman", {201, 0}),
      Stamp("kiwi", "+1+1", "-5", "Wilkes", {7, 0}),
      Stamp("kiwi", "+1+1", "-5", "Wilkes\xff", {7, 0}),
  };
  for (const v1::LocationStamp& a : stamps) {
    for (const v1::LocationStamp& b : stamps) {
      EXPECT_EQ(CompareStamps(a, *Record(b)), CompareStamps(a, b))
          << a.ShortDebugString() << " vs " << b.ShortDebugString();
    }
  }
}

}  // namespace
}  // namespace herd
