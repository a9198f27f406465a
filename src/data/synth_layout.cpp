#include "data/synth_layout.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

#include "core/error.h"
#include "core/output_files.h"
#include "core/threads.h"
#include "data/matfile.h"

namespace fs = std::filesystem;

namespace sodlab::data {
namespace {

void write_encoded(const fs::path& path, const cv::Mat& mat) {
  std::vector<uchar> bytes;
  std::vector<int> params;
  if (path.extension() == ".jpg") params = {cv::IMWRITE_JPEG_QUALITY, 95};
  if (!cv::imencode(path.extension().string(), mat, bytes, params))
    throw RuntimeFailure("cannot encode " + path.string());
  output::write_output_file(path.string(), std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace

std::vector<std::pair<std::string, std::size_t>> synth_split_sizes(const DatasetEntry& entry, std::size_t n) {
  std::size_t total = entry.published, sum_published = 0, unpublished = 0;
  for (const auto& s : entry.splits) sum_published += s.published, unpublished += s.published == 0;
  if (total == 0) total = sum_published;
  std::vector<std::pair<std::string, std::size_t>> out;
  std::size_t used = 0;
  for (const auto& s : entry.splits) {
    std::size_t k;
    if (s.published > 0) k = static_cast<std::size_t>(std::llround(double(n) * double(s.published) / double(total)));
    else k = (n - std::min(n, sum_published * n / std::max<std::size_t>(total, 1))) / unpublished;
    out.emplace_back(s.split, std::max<std::size_t>(1, k));
    used += out.back().second;
  }
  if (used > n)
    throw InputError("--n " + std::to_string(n) + " is too small for dataset '" + entry.name + "': its " +
                     std::to_string(entry.splits.size()) + " split(s) need " + std::to_string(used) +
                     " samples (at least one each)");
  return out;
}

SynthLayoutResult write_synthetic_layout(const DatasetEntry& entry, const fs::path& out, const SyntheticSpec& spec,
                                         int threads, const std::string& layout_name) {
  if (entry.layouts.empty()) throw InputError("dataset '" + entry.name + "' has no folder layout (it is generated)");
  const Layout* layout = &entry.layouts.front();
  if (!layout_name.empty()) {
    layout = nullptr;
    for (const auto& l : entry.layouts)
      if (l.name == layout_name) layout = &l;
    if (!layout) throw InputError("dataset '" + entry.name + "' has no layout '" + layout_name + "'");
  }
  const auto splits = synth_split_sizes(entry, static_cast<std::size_t>(spec.n));
  output::check_output_folder(out.string(), "--out");
  const fs::path root = layout->top.empty() ? out : out / layout->top;
  const fs::path images = root / layout->images, masks = root / layout->masks;
  fs::create_directories(images);
  fs::create_directories(masks);
  const SyntheticDataset ds(spec);
  const std::string image_ext = layout->image_exts.front(), mask_ext = layout->mask_exts.front();
  const std::string suffix = layout->mask_suffixes.front();
  auto stem_of = [&](int i) { return entry.synth_stem ? entry.synth_stem(i) : ds.stem(static_cast<std::size_t>(i)); };
  parallel_for(spec.n, resolve_threads(threads), [&](int i) {
    const Sample s = ds.get(static_cast<std::size_t>(i));
    cv::Mat bgr;
    cv::cvtColor(s.image, bgr, cv::COLOR_RGB2BGR);
    const std::string stem = stem_of(i);
    write_encoded(images / (stem + image_ext), bgr);
    write_encoded(masks / (stem + suffix + mask_ext), s.mask);
  });
  SynthLayoutResult result{root, layout->name, {}};
  int next = 0;
  for (const auto& [split, size] : splits) {
    std::vector<std::string> names;
    for (std::size_t k = 0; k < size; ++k) names.push_back(stem_of(next++));
    const SplitList* list = nullptr;
    for (const auto& l : layout->splits)
      if (l.split == split) list = &l;
    if (list) {
      const fs::path file = root / list->files.front();
      fs::create_directories(file.parent_path());
      for (auto& n : names) n += list->names == "mask" ? suffix + mask_ext : list->names == "image" ? image_ext : "";
      if (file.extension() == ".mat") {
        output::write_output_file(file.string(), mat_strings_file(file.stem().string(), names, true));
      } else {
        std::string text;  // the names as the archive lists them (MSRA-B: the mask file names)
        for (const auto& n : names) text += n + "\n";
        output::write_output_file(file.string(), text);
      }
    } else {
      std::string text;
      for (const auto& n : names) text += n + "\n";
      fs::create_directories(root / "splits");
      output::write_output_file((root / "splits" / (split + ".txt")).string(), text);
    }
    result.splits.emplace_back(split, size);
  }
  return result;
}

}  // namespace sodlab::data
