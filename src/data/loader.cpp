#include "data/loader.h"

#include <chrono>
#include <numeric>

#include "core/error.h"
#include "core/threads.h"
#include "data/random.h"

namespace sodlab::data {
namespace {

// Writes an RGB CV_8UC3 image into a 3×H×W float slice and a CV_8UC1 mask into 1×H×W.
void copy_into(const Sample& s, float* img, float* mask) {
  const int H = s.image.rows, W = s.image.cols;
  const std::size_t plane = static_cast<std::size_t>(H) * W;
  for (int y = 0; y < H; ++y) {
    const unsigned char* p = s.image.ptr<unsigned char>(y);
    const unsigned char* m = s.mask.ptr<unsigned char>(y);
    for (int x = 0; x < W; ++x) {
      const std::size_t o = static_cast<std::size_t>(y) * W + x;
      img[o] = p[3 * x];
      img[plane + o] = p[3 * x + 1];
      img[2 * plane + o] = p[3 * x + 2];
      mask[o] = m[x] > 127 ? 1.0f : 0.0f;
    }
  }
}

}  // namespace

Batch make_batch(const std::vector<Sample>& samples, const std::vector<std::size_t>& indices) {
  if (samples.empty()) throw InputError("make_batch: no samples");
  const int H = samples[0].image.rows, W = samples[0].image.cols;
  const auto n = static_cast<std::int64_t>(samples.size());
  Batch b;
  b.images = torch::empty({n, 3, H, W}, torch::kFloat32);
  b.masks = torch::empty({n, 1, H, W}, torch::kFloat32);
  for (std::int64_t i = 0; i < n; ++i) {
    const Sample& s = samples[i];
    if (s.image.rows != H || s.image.cols != W || s.mask.size() != s.image.size())
      throw InputError("make_batch: sample '" + s.stem + "' is not " + std::to_string(W) + "x" +
                       std::to_string(H));
    copy_into(s, b.images[i].data_ptr<float>(), b.masks[i].data_ptr<float>());
    b.stems.push_back(s.stem);
  }
  b.indices = indices;
  return b;
}

DataLoader::DataLoader(DatasetPtr dataset, LoaderSpec spec)
    : dataset_(std::move(dataset)), spec_(std::move(spec)), workers_(resolve_threads(spec_.workers)) {
  if (!dataset_ || dataset_->size() == 0) throw InputError("data loader: the dataset is empty");
  if (spec_.batch_size < 1) throw InputError("data loader: batch_size must be >= 1");
  if (spec_.width < 1 || spec_.height < 1) throw InputError("data loader: input size must be positive");
  if (spec_.drop_last && dataset_->size() < static_cast<std::size_t>(spec_.batch_size))
    throw InputError("data loader: dataset '" + dataset_->name() + "' has " +
                     std::to_string(dataset_->size()) + " samples, fewer than one batch of " +
                     std::to_string(spec_.batch_size) + " (drop_last)");
}

std::size_t DataLoader::batches_per_epoch() const {
  const std::size_t n = dataset_->size(), b = static_cast<std::size_t>(spec_.batch_size);
  return spec_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::size_t> DataLoader::order(int epoch) const {
  std::vector<std::size_t> idx(dataset_->size());
  std::iota(idx.begin(), idx.end(), 0);
  if (spec_.shuffle) {
    Rng rng(derive_seed(spec_.seed, "order", static_cast<std::uint64_t>(epoch)));
    for (std::size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.next() % i]);
  }
  return idx;
}

std::uint64_t augment_seed(const LoaderSpec& spec, int epoch, std::size_t index) {
  if (spec.augment_pool <= 0) return derive_seed(spec.seed, "augment", static_cast<std::uint64_t>(epoch), index);
  const std::uint64_t copy =
      derive_seed(spec.seed, "augment_pool_pick", static_cast<std::uint64_t>(epoch), index) %
      static_cast<std::uint64_t>(spec.augment_pool);
  return derive_seed(spec.seed, "augment_pool", copy, index);
}

Batch DataLoader::batch(int epoch, std::size_t b) const {
  if (b >= batches_per_epoch())
    throw InputError("data loader: batch " + std::to_string(b) + " out of range");
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<std::size_t> ord = order(epoch);
  const std::size_t bs = static_cast<std::size_t>(spec_.batch_size);
  const std::size_t lo = b * bs, hi = std::min(ord.size(), lo + bs);
  std::vector<std::size_t> indices(ord.begin() + lo, ord.begin() + hi);
  std::vector<Sample> samples(indices.size());
  parallel_for(static_cast<int>(indices.size()), workers_, [&](int i) {
    const std::size_t idx = indices[i];
    Rng rng(augment_seed(spec_, epoch, idx));
    samples[i] = augment_sample(dataset_->get(idx), spec_.augment, rng, spec_.width, spec_.height);
  });
  Batch out = make_batch(samples, indices);
  if (spec_.pin_memory) {
    out.images = out.images.pin_memory();
    out.masks = out.masks.pin_memory();
  }
  images_ += indices.size();
  nanos_ += static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  return out;
}

double DataLoader::images_per_second() const {
  const double s = nanos_.load() * 1e-9;
  return s > 0 ? images_.load() / s : 0.0;
}

DataLoader::EpochReader::EpochReader(const DataLoader& loader, int epoch, std::size_t first_batch)
    : loader_(loader), epoch_(epoch), next_(first_batch) {
  if (next_ < loader_.batches_per_epoch())
    pending_ = std::async(std::launch::async, [this, b = next_] { return loader_.batch(epoch_, b); });
}

DataLoader::EpochReader::~EpochReader() {
  if (pending_.valid()) pending_.wait();
}

bool DataLoader::EpochReader::next(Batch& out) {
  if (!pending_.valid()) return false;
  out = pending_.get();  // rethrows a loading error
  ++next_;
  if (next_ < loader_.batches_per_epoch())
    pending_ = std::async(std::launch::async, [this, b = next_] { return loader_.batch(epoch_, b); });
  return true;
}

}  // namespace sodlab::data
