// CallbackThreadPark: one of gRPC's callback threads is held, and callbacks still run, on the
// others, against a real server on loopback.
#include "services/core/callback_thread_park.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <set>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herd {
namespace {

// Records the thread each call reaches the server on, and answers UNIMPLEMENTED.
class RecordingService : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    {
      absl::MutexLock lock(&mu_);
      threads_.insert(std::this_thread::get_id());
    }
    return grpc::CallbackGenericService::CreateReactor(context);
  }
  std::set<std::thread::id> threads() {
    absl::MutexLock lock(&mu_);
    return threads_;
  }

 private:
  absl::Mutex mu_;
  std::set<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
};

class CallbackThreadParkTest : public testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  // Makes `count` callback calls to the server, at most 10 s each; returns how many the server
  // answered (UNIMPLEMENTED, where a stalled pool would end them by their deadline) and adds the
  // threads their callbacks ran on to `threads`.
  int CallServer(int count, std::set<std::thread::id>* threads) {
    struct Call {
      grpc::ClientContext context;
      grpc::Slice empty;
      grpc::ByteBuffer request{&empty, 1}, response;
    };
    std::vector<std::unique_ptr<Call>> calls;
    grpc::GenericStub stub(channel_);
    absl::Mutex mu;
    int done = 0, answered = 0;
    for (int i = 0; i < count; ++i) {
      calls.push_back(std::make_unique<Call>());
      Call* call = calls.back().get();
      call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      stub.UnaryCall(&call->context, "/herd.test.Nothing/Call", grpc::StubOptions(), &call->request,
                     &call->response, [&](const grpc::Status& status) {
                       absl::MutexLock lock(&mu);
                       if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) ++answered;
                       threads->insert(std::this_thread::get_id());
                       ++done;
                     });
    }
    // Every call ends by its 10 s deadline at the latest: wait for all before they go away.
    absl::MutexLock lock(&mu);
    auto all_done = [&]() { return done == count; };
    mu.Await(absl::Condition(&all_done));
    return answered;
  }

  RecordingService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(CallbackThreadParkTest, HoldsOneThreadWhileCallbacksRunOnTheOthers) {
  std::unique_ptr<CallbackThreadPark> park = CallbackThreadPark::Start();
  ASSERT_TRUE(park->parked());
  const std::thread::id held = park->parked_thread();
  EXPECT_NE(held, std::this_thread::get_id());

  std::set<std::thread::id> client_threads;
  EXPECT_EQ(CallServer(20, &client_threads), 20);
  EXPECT_EQ(client_threads.count(held), 0u);
  EXPECT_EQ(service_.threads().count(held), 0u);
  EXPECT_FALSE(service_.threads().empty());
}

TEST_F(CallbackThreadParkTest, AReleasedParkFreesItsThreadAndEndsAtOnce) {
  std::unique_ptr<CallbackThreadPark> park = CallbackThreadPark::Start();
  ASSERT_TRUE(park->parked());
  park->Release();
  EXPECT_FALSE(park->parked());
  park.reset();  // returns once its callbacks have: bounded by the test's timeout

  std::set<std::thread::id> client_threads;
  EXPECT_EQ(CallServer(5, &client_threads), 5);
}

TEST_F(CallbackThreadParkTest, DestroyingAParkReleasesItWhileCallsAreServed) {
  std::set<std::thread::id> client_threads;
  {
    std::unique_ptr<CallbackThreadPark> park = CallbackThreadPark::Start();
    ASSERT_TRUE(park->parked());
    EXPECT_EQ(CallServer(5, &client_threads), 5);
  }
  EXPECT_EQ(CallServer(5, &client_threads), 5);
}

TEST(CallbackThreadParkWanted, FollowsTheEnvironmentSetting) {
  setenv("HERD_PARK_CALLBACK_THREAD", "1", 1);
  EXPECT_TRUE(CallbackThreadPark::Wanted());
  setenv("HERD_PARK_CALLBACK_THREAD", "0", 1);
  EXPECT_FALSE(CallbackThreadPark::Wanted());
  unsetenv("HERD_PARK_CALLBACK_THREAD");
  EXPECT_EQ(CallbackThreadPark::Wanted(),
            std::thread::hardware_concurrency() <= 2 && std::thread::hardware_concurrency() != 0);
}

}  // namespace
}  // namespace herd
