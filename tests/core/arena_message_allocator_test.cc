#include "services/core/arena_message_allocator.h"

#include <gtest/gtest.h>

#include <string>

#include "herd/v1/location_service.pb.h"

namespace herd {
namespace {

// Request and response share one arena per call, so what a call parses and builds is freed with
// it; each call gets an arena of its own.
TEST(ArenaMessageAllocator, GivesEachCallItsOwnArena) {
  ArenaMessageAllocator<v1::ReportBatchRequest, v1::ReportBatchResponse> allocator;
  auto* first = allocator.AllocateMessages();
  auto* second = allocator.AllocateMessages();
  ASSERT_NE(first->request()->GetArena(), nullptr);
  EXPECT_EQ(first->request()->GetArena(), first->response()->GetArena());
  EXPECT_NE(first->request()->GetArena(), second->request()->GetArena());

  // Well past the first block: the arena grows.
  for (int i = 0; i < 2000; ++i) {
    v1::ReportRequest* report = first->request()->add_reports();
    report->set_client_id(std::string(40, 'k'));
    report->set_location("+34.068930-118.445127");
    first->response()->add_results()->mutable_response()->mutable_stamp()->set_client_id(
        report->client_id());
  }
  EXPECT_EQ(first->response()->results(1999).response().stamp().client_id(), std::string(40, 'k'));
  EXPECT_GT(first->request()->GetArena()->SpaceUsed(), size_t{16 << 10});  // the first block
  first->Release();
  second->Release();
}

}  // namespace
}  // namespace herd
