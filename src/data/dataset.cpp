#include "data/dataset.h"

#include <unordered_map>

#include "core/error.h"
#include "core/hash.h"

namespace sodlab::data {
namespace {

class SubsetDataset : public Dataset {
 public:
  SubsetDataset(DatasetPtr base, std::vector<std::size_t> indices, std::string label)
      : base_(std::move(base)), indices_(std::move(indices)), label_(std::move(label)) {
    for (std::size_t i : indices_)
      if (i >= base_->size())
        throw InputError("subset '" + label_ + "' of dataset '" + base_->name() + "': index " +
                         std::to_string(i) + " out of range (size " +
                         std::to_string(base_->size()) + ")");
  }
  std::size_t size() const override { return indices_.size(); }
  Sample get(std::size_t i) const override { return base_->get(indices_.at(i)); }
  std::string stem(std::size_t i) const override { return base_->stem(indices_.at(i)); }
  std::string name() const override { return base_->name() + "/" + label_; }
  std::string manifest_sha() const override {
    Sha256 h;
    h.update("subset\n" + base_->manifest_sha() + "\n");
    for (std::size_t i : indices_) h.update(base_->stem(i) + "\n");
    return h.hex();
  }

 private:
  DatasetPtr base_;
  std::vector<std::size_t> indices_;
  std::string label_;
};

}  // namespace

DatasetPtr subset(DatasetPtr base, std::vector<std::size_t> indices, const std::string& label) {
  return std::make_shared<SubsetDataset>(std::move(base), std::move(indices), label);
}

std::vector<std::size_t> indices_of_stems(const Dataset& base, const std::vector<std::string>& stems,
                                          const std::string& origin) {
  std::unordered_map<std::string, std::size_t> where;
  for (std::size_t i = 0; i < base.size(); ++i) where.emplace(base.stem(i), i);
  std::vector<std::size_t> out;
  out.reserve(stems.size());
  for (std::size_t k = 0; k < stems.size(); ++k) {
    auto it = where.find(stems[k]);
    if (it == where.end())
      throw InputError(origin + ": entry " + std::to_string(k + 1) + " '" + stems[k] +
                       "' is not a sample of dataset '" + base.name() + "'");
    out.push_back(it->second);
  }
  return out;
}

}  // namespace sodlab::data
