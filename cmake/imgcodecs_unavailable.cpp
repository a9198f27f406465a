// OpenCV imgcodecs for the GPU-check subset (SODLAB_GPU_CHECK_ONLY, cmake/opencv.cmake): the
// functions of opencv2/imgcodecs.hpp that src/ calls, each throwing cv::Exception. Debian's
// libopencv_imgcodecs links GDAL (with its libraries, hundreds of MB), too much to carry to a GPU
// machine without a package manager, and neither sodlab-gpu-check nor the device tests read,
// write or encode image files. A link error naming another cv::im* function means src/ calls one
// more: define it here the same way.
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

namespace cv {
namespace {

[[noreturn]] void unavailable(const char* function) {
  CV_Error(Error::StsNotImplemented,
           std::string(function) +
               ": OpenCV imgcodecs is not part of this build (SODLAB_GPU_CHECK_ONLY): it reads and writes no image files");
}

}  // namespace

Mat imread(const String&, int) { unavailable("cv::imread"); }

bool imwrite(const String&, InputArray, const std::vector<int>&) { unavailable("cv::imwrite"); }

Mat imdecode(InputArray, int) { unavailable("cv::imdecode"); }

bool imencode(const String&, InputArray, std::vector<uchar>&, const std::vector<int>&) {
  unavailable("cv::imencode");
}

}  // namespace cv
