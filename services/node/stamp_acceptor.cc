#include "services/node/stamp_acceptor.h"

#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"

namespace herd {

StampStore::MergeResult StampAcceptor::Accept(const v1::LocationStamp& stamp,
                                              const StampSource& source) {
  StampStore::MergeResult result = store_->Merge(stamp);
  bool stored = result == StampStore::MergeResult::kStored;
  switch (source.kind) {
    case StampSource::Kind::kClient: {
      std::string at_line = FormatAtLine(stamp);
      log_->Write(absl::StrCat("report ", at_line, stored ? " stored" : " stale"));
      if (stored && flooder_ != nullptr) flooder_->Flood(stamp, at_line, "");
      break;
    }
    case StampSource::Kind::kFlood: {
      std::string at_line = FormatAtLine(stamp);
      log_->Write(
          absl::StrCat("recv ", at_line, " from ", source.peer, stored ? " stored" : " stale"));
      if (stored && flooder_ != nullptr) flooder_->Flood(stamp, at_line, source.peer);
      break;
    }
    case StampSource::Kind::kCatchUp:
      break;
  }
  return result;
}

}  // namespace herd
