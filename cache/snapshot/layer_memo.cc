#include "cache/snapshot/layer_memo.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"

namespace bt::cache {

std::string LayerMemoPath(const SnapshotStore& store, const std::string& id,
                          const std::string& name) {
  const std::string diff = store.DiffPath(id);
  return diff.substr(0, diff.size() - std::string("/diff").size()) + "/" + name;
}

std::optional<LayerMemo> ReadLayerMemo(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  LayerMemo memo;
  try {
    Result<oci::Digest> digest = oci::Digest::Parse(j.at("digest").get<std::string>());
    Result<oci::Digest> diff_id = oci::Digest::Parse(j.at("diffID").get<std::string>());
    if (!digest || !diff_id) return std::nullopt;
    memo.digest = *digest;
    memo.diff_id = *diff_id;
    memo.size = j.at("size").get<std::int64_t>();
    memo.empty = j.at("empty").get<bool>();
    memo.media_type = j.value("mediaType", "");
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return memo;
}

Result<void> WriteLayerMemo(const std::string& path, const LayerMemo& memo) {
  nlohmann::ordered_json j;
  j["digest"] = memo.digest.ToString();
  j["size"] = memo.size;
  j["diffID"] = memo.diff_id.ToString();
  j["empty"] = memo.empty;
  if (!memo.media_type.empty()) j["mediaType"] = memo.media_type;
  BT_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path, 0644));
  BT_TRY(file.Write(j.dump() + "\n"));
  return file.Commit();
}

}  // namespace bt::cache
