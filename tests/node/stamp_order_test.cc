#include "services/node/stamp_order.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"

namespace herd {
namespace {

v1::LocationStamp Stamp(const std::string& client, const std::string& location,
                        const std::string& time, const std::string& origin, Instant received) {
  absl::StatusOr<v1::LocationStamp> stamp = MakeStamp(client, location, time, origin, received);
  EXPECT_TRUE(stamp.ok()) << stamp.status();
  return *stamp;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

// Whether `order` holds exactly the parsed message's fields.
void ExpectFieldsOf(const StampOrder& order, const v1::LocationStamp& parsed) {
  EXPECT_EQ(order.client_time, FromProto(parsed.client_time()));
  EXPECT_EQ(order.origin, parsed.origin());
  EXPECT_EQ(order.received_at, FromProto(parsed.received_at()));
  EXPECT_EQ(order.location_text, parsed.location_text());
  EXPECT_EQ(order.client_time_text, parsed.client_time_text());
}

// Stamps that tie on every leading field CompareStamps looks at, so each field decides somewhere.
std::vector<v1::LocationStamp> Variety() {
  std::vector<v1::LocationStamp> stamps;
  for (const char* time : {"-5.5", "0", "1520023934.918963997", "1520023934.918963998"}) {
    for (const char* origin : {"", "Goloman", "Hands"}) {
      for (int64_t received : {-3, 0, 1520023935}) {
        for (const char* location : {"+1+1", "+34.068930-118.445127"}) {
          stamps.push_back(Stamp("kiwi", location, time, origin, Instant{received, 7}));
        }
      }
    }
  }
  stamps.push_back(v1::LocationStamp());  // every field at its default
  // Equal but for the client time's text: only that text can order them.
  stamps.push_back(Stamp("kiwi", "+1+1", "7.10", "Hands", Instant{1, 2}));
  stamps.push_back(stamps.back());
  stamps.back().set_client_time_text("7.1");
  return stamps;
}

TEST(StampOrder, OrdersEveryPairAsCompareStampsDoes) {
  std::vector<v1::LocationStamp> stamps = Variety();
  std::vector<std::string> wire;
  for (const auto& stamp : stamps) wire.push_back(stamp.SerializeAsString());
  for (size_t i = 0; i < stamps.size(); ++i) {
    std::optional<StampOrder> a = ReadStampOrder(wire[i]);
    ASSERT_TRUE(a.has_value()) << stamps[i].ShortDebugString();
    ExpectFieldsOf(*a, stamps[i]);
    for (size_t j = 0; j < stamps.size(); ++j) {
      std::optional<StampOrder> b = ReadStampOrder(wire[j]);
      ASSERT_TRUE(b.has_value());
      ASSERT_EQ(CompareStampOrder(*a, *b), Sign(CompareStamps(stamps[i], stamps[j])))
          << stamps[i].ShortDebugString() << " vs " << stamps[j].ShortDebugString();
    }
  }
}

TEST(StampOrder, LeavesAnythingButThePlainEncodingToTheParser) {
  const std::string plain = Stamp("kiwi", "+1+1", "5", "Hands", Instant{6, 7}).SerializeAsString();
  ASSERT_TRUE(ReadStampOrder(plain).has_value());
  // An unknown field (9, varint 1), which the parser keeps as unknown.
  EXPECT_FALSE(ReadStampOrder(plain + std::string("\x48\x01", 2)).has_value());
  // The origin twice (field 7): the parser keeps the last, this reader refuses.
  EXPECT_FALSE(ReadStampOrder(plain + std::string("\x3a\x01Z", 3)).has_value());
  // The origin as a varint: a known field with another wire type is unknown to the parser.
  EXPECT_FALSE(ReadStampOrder(std::string("\x38\x01", 2)).has_value());
  // A non-ASCII origin: the parser checks its UTF-8.
  EXPECT_FALSE(ReadStampOrder(std::string("\x3a\x02\xc3\xa9", 4)).has_value());
  EXPECT_FALSE(ReadStampOrder(std::string("\x3a\x01\xff", 3)).has_value());
  // A zero tag, a length past the end, a cut varint.
  EXPECT_FALSE(ReadStampOrder(plain + std::string("\x00", 1)).has_value());
  EXPECT_FALSE(ReadStampOrder(std::string("\x12\x05+1+1", 6)).has_value());
  EXPECT_FALSE(ReadStampOrder(std::string("\x32\x02\x08\x80", 4)).has_value());
  // An ExactTime holding more than seconds and nanos.
  EXPECT_FALSE(ReadStampOrder(std::string("\x32\x02\x18\x01", 4)).has_value());
  EXPECT_TRUE(ReadStampOrder("").has_value());
}

// Whatever bytes it is given, the reader either refuses them or agrees with the parser.
TEST(StampOrder, NeverDisagreesWithTheParserOnDamagedBytes) {
  std::mt19937 random(20261129);
  std::vector<std::string> seeds;
  for (const auto& stamp : Variety()) seeds.push_back(stamp.SerializeAsString());
  int read = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = seeds[random() % seeds.size()];
    switch (random() % 3) {
      case 0:  // cut
        bytes.resize(random() % (bytes.size() + 1));
        break;
      case 1:  // a byte changed
        if (!bytes.empty()) bytes[random() % bytes.size()] = static_cast<char>(random());
        break;
      case 2:  // a byte inserted
        bytes.insert(bytes.begin() + random() % (bytes.size() + 1), static_cast<char>(random()));
        break;
    }
    std::optional<StampOrder> order = ReadStampOrder(bytes);
    if (!order) continue;
    ++read;
    v1::LocationStamp parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes)) << absl::CEscape(bytes);
    ExpectFieldsOf(*order, parsed);
  }
  EXPECT_GT(read, 1000);  // the damage left many plain encodings to compare
}

}  // namespace
}  // namespace herd
