#include "services/node/stored_stamp.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "services/core/stamp.h"
#include "services/node/name_table.h"
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
  NumeralBuffer buffer;
  EXPECT_EQ(record->client_id(), "kiwi.cs.ucla.edu");
  EXPECT_EQ(record->location_text(buffer), "+34.068930-118.445127");
  EXPECT_EQ(record->client_time_text(buffer), "1520023934.918963997");
  EXPECT_EQ(record->origin(), "Goloman");
  EXPECT_EQ(record->latitude(), stamp.latitude());
  EXPECT_EQ(record->longitude(), stamp.longitude());
  EXPECT_EQ(record->client_time(), (Instant{1520023934, 918963997}));
  EXPECT_EQ(record->received_at(), (Instant{1520023935, 182837383}));
  EXPECT_EQ(record->key_hash_low(), static_cast<uint32_t>(StampStore::KeyHash(stamp.client_id())));
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
    NumeralBuffer buffer;
    EXPECT_EQ(record->client_id(), stamp.client_id()) << size;
    EXPECT_EQ(record->location_text(buffer), "+1+2");
    EXPECT_EQ(record->client_time_text(buffer), "-5.5");
    EXPECT_EQ(record->origin(), stamp.origin());
    EXPECT_EQ(record->client_time(), (Instant{-6, 500000000}));
    EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), stamp)) << size;
  }
}

TEST(StoredStamp, IsOneSmallAllocation) {
  v1::LocationStamp stamp = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                  "1520023934.918963997", "Goloman", {1520023935, 182837383});
  // 52 fixed bytes, four one-byte headers, the id as it is, the location and the time two
  // characters per byte, the origin by its index: 93 bytes, in the allocator's 96-byte class.
  EXPECT_EQ(Record(stamp)->bytes(), 52u + 4u + 16u + 11u + 10u);
}

// Texts a numeral cannot hold (letters, an exponent, longer than kMaxNumeral) and origins the
// name table refuses (empty, too long) are kept as they are.
TEST(StoredStamp, KeepsTextsThatCannotBePackedAsTheyAre) {
  const std::string long_numeral(kMaxNumeral + 1, '7');
  const std::string long_name(NameTable::kMaxNameBytes + 1, 'n');
  for (const auto& [location, time, origin] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"+34.068930-118.445127", "1e9", ""},
           {"+0" + long_numeral + "+0", "1520023934.5", long_name},
           {"+1+2", "+" + long_numeral, "Goloman"},
       }) {
    v1::LocationStamp stamp = Stamp("kiwi", "+1+2", "5", "Hands", {7, 1});
    stamp.set_location_text(location);  // the texts as a peer sent them; none is parsed here
    stamp.set_client_time_text(time);
    stamp.set_origin(origin);
    StoredStamp::Ptr record = Record(stamp);
    NumeralBuffer buffer;
    EXPECT_EQ(record->location_text(buffer), location);
    EXPECT_EQ(record->client_time_text(buffer), time);
    EXPECT_EQ(record->origin(), origin);
    EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), stamp))
        << record->ToProto().ShortDebugString();
  }
}

// A newer stamp of the client is written over the record when it fits the record's allocation
// (its size rounded up to 16 bytes); one that does not leaves the record as it was.
TEST(StoredStamp, OverwritesInPlaceOnlyWhatFits) {
  v1::LocationStamp first = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                  "1520023934.918963997", "Goloman", {1520023935, 182837383});
  StoredStamp::Ptr record = Record(first);
  ASSERT_EQ(record->bytes(), 93u);  // room for 96

  // Three bytes longer: exactly the room left (a location of 28 characters, in 14 bytes).
  v1::LocationStamp longer = Stamp("kiwi.cs.ucla.edu", "+34.06893000000-118.44512700",
                                   "1520023999.918963997", "Wilkes", {1520024000, 5});
  ASSERT_TRUE(record->TryOverwrite(longer, StampStore::StampHash(longer)));
  EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), longer))
      << record->ToProto().DebugString();
  EXPECT_EQ(record->bytes(), 96u);
  EXPECT_EQ(record->stamp_hash(), StampStore::StampHash(longer));

  v1::LocationStamp shorter =
      Stamp("kiwi.cs.ucla.edu", "+1+2", "1520024001", "Hands", {1520024002, 0});
  ASSERT_TRUE(record->TryOverwrite(shorter, StampStore::StampHash(shorter)));
  EXPECT_TRUE(MessageDifferencer::Equals(record->ToProto(), shorter));
  ASSERT_EQ(record->bytes(), 79u);
  EXPECT_EQ(record->latitude(), 1);
  EXPECT_EQ(record->client_time(), (Instant{1520024001, 0}));

  // 93 bytes: past the room the shorter record counts (79 bytes, room for 80; the allocation
  // is larger, but a record knows only its own size). Refused, record unchanged.
  v1::LocationStamp too_long = Stamp("kiwi.cs.ucla.edu", "+34.068930-118.445127",
                                     "1520024003.918963997", "Holiday", {1520024004, 0});
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
