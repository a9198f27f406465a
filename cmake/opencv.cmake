# OpenCV core/imgproc/imgcodecs as the imported target sodlab::opencv.
# Debian ships OpenCVConfig.cmake only in the libopencv-dev meta package (57 packages); the three
# module -dev packages we need provide headers and libraries but no config, so find them here.
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
add_library(sodlab_opencv INTERFACE)
add_library(sodlab::opencv ALIAS sodlab_opencv)
if(OpenCV_FOUND)
  target_link_libraries(sodlab_opencv INTERFACE ${OpenCV_LIBS})
  target_include_directories(sodlab_opencv INTERFACE ${OpenCV_INCLUDE_DIRS})
else()
  find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  foreach(module core imgproc imgcodecs)
    find_library(OPENCV_${module}_LIBRARY NAMES opencv_${module} REQUIRED)
    target_link_libraries(sodlab_opencv INTERFACE ${OPENCV_${module}_LIBRARY})
  endforeach()
  target_include_directories(sodlab_opencv INTERFACE ${OPENCV_INCLUDE_DIR})
  message(STATUS "OpenCV (core, imgproc, imgcodecs): ${OPENCV_INCLUDE_DIR}")
endif()
