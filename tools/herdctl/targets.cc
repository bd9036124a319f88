#include "tools/herdctl/targets.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "services/core/config.h"

namespace herd::herdctl {

std::string DefaultConfigPath() {
  std::error_code error;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    // <source>/build/bin/herdctl -> <source>/deploy/herd.json
    std::filesystem::path candidate =
        exe.parent_path().parent_path().parent_path() / "deploy" / "herd.json";
    if (std::filesystem::exists(candidate, error)) return candidate.lexically_normal().string();
  }
#ifdef HERD_SOURCE_DIR
  return std::string(HERD_SOURCE_DIR) + "/deploy/herd.json";
#else
  return "deploy/herd.json";
#endif
}

absl::StatusOr<std::vector<Target>> ResolveTargets(const Options& options) {
  if (!options.address.empty()) {
    Target target{options.node, options.address};
    if (!options.ca_file.empty()) {
      absl::StatusOr<TransportSecurity> tls =
          TransportSecurity::Tls(options.ca_file, options.cert_file, options.key_file);
      if (!tls.ok()) return tls.status();
      target.security = *std::move(tls);
    }
    return std::vector<Target>{std::move(target)};
  }
  std::string path = options.config.empty() ? DefaultConfigPath() : options.config;
  absl::StatusOr<HerdConfig> config = HerdConfig::Load(path);
  if (!config.ok()) return config.status();
  TransportSecurity security = TransportSecurity::Insecure();
  if (config->tls() || !options.ca_file.empty()) {
    absl::StatusOr<TransportSecurity> tls = TransportSecurity::Tls(
        options.ca_file.empty() ? config->proto().tls().ca_file() : options.ca_file,
        options.cert_file, options.key_file);
    if (!tls.ok()) return tls.status();
    security = *std::move(tls);
  }
  std::vector<Target> targets;
  for (const v1::NodeConfig& node : config->proto().nodes()) {
    if (!options.node.empty() && node.name() != options.node) continue;
    targets.push_back({node.name(), node.grpc_address(), security});
  }
  if (targets.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--node: no node \"", options.node, "\" in ", path));
  }
  return targets;
}

}  // namespace herd::herdctl
