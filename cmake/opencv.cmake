# OpenCV as two imported interface targets:
#   sodlab::opencv_core  core + imgproc. The torch-free `sodlab` links only this: imgcodecs drags in
#                        GDAL and ~120 shared libraries (0.14 s of start-up for every process).
#   sodlab::opencv       core + imgproc + imgcodecs, for the modules that read and write images.
# and SODLAB_OPENCV_IMGCODECS_SONAME, the library metrics/gray_image_reader.cpp dlopens on first use
# to hand non-PNG files to cv::imread.
# Debian ships OpenCVConfig.cmake only in the libopencv-dev meta package (57 packages); the three
# module -dev packages we need provide headers and libraries but no config, so find them here.
# The GPU-check subset (SODLAB_GPU_CHECK_ONLY) links core + imgproc only: there sodlab::opencv's
# imgcodecs is cmake/imgcodecs_unavailable.cpp, whose functions throw (Debian's imgcodecs pulls
# GDAL, far too big to carry to a machine without a package manager; nothing there reads images).
add_library(sodlab_opencv_core INTERFACE)
add_library(sodlab::opencv_core ALIAS sodlab_opencv_core)
add_library(sodlab_opencv INTERFACE)
add_library(sodlab::opencv ALIAS sodlab_opencv)
target_link_libraries(sodlab_opencv INTERFACE sodlab_opencv_core)
if(SODLAB_GPU_CHECK_ONLY)
  find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  foreach(module core imgproc)
    find_library(OPENCV_${module}_LIBRARY NAMES opencv_${module} REQUIRED)
  endforeach()
  target_link_libraries(sodlab_opencv_core INTERFACE ${OPENCV_core_LIBRARY} ${OPENCV_imgproc_LIBRARY})
  target_include_directories(sodlab_opencv_core INTERFACE ${OPENCV_INCLUDE_DIR})
  add_library(sodlab_imgcodecs_unavailable STATIC ${PROJECT_SOURCE_DIR}/cmake/imgcodecs_unavailable.cpp)
  target_link_libraries(sodlab_imgcodecs_unavailable PUBLIC sodlab_opencv_core)
  target_link_libraries(sodlab_opencv INTERFACE sodlab_imgcodecs_unavailable)
  # metrics/gray_image_reader.cpp dlopens it for non-PNG files; absent there, it says so.
  set(SODLAB_OPENCV_IMGCODECS_SONAME libopencv_imgcodecs.so.406)
  message(STATUS "OpenCV (core, imgproc; imgcodecs unavailable): ${OPENCV_INCLUDE_DIR}")
  return()
endif()
find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs)
if(OpenCV_FOUND)
  target_link_libraries(sodlab_opencv_core INTERFACE opencv_core opencv_imgproc)
  target_link_libraries(sodlab_opencv INTERFACE opencv_imgcodecs)
  target_include_directories(sodlab_opencv_core INTERFACE ${OpenCV_INCLUDE_DIRS})
  get_target_property(_sodlab_configs opencv_imgcodecs IMPORTED_CONFIGURATIONS)
  foreach(_sodlab_config IN LISTS _sodlab_configs)
    get_target_property(_sodlab_soname opencv_imgcodecs IMPORTED_SONAME_${_sodlab_config})
    get_target_property(_sodlab_file opencv_imgcodecs IMPORTED_LOCATION_${_sodlab_config})
    if(_sodlab_soname OR _sodlab_file)
      break()
    endif()
  endforeach()
  if(NOT _sodlab_soname AND NOT _sodlab_file)
    get_target_property(_sodlab_soname opencv_imgcodecs IMPORTED_SONAME)
    get_target_property(_sodlab_file opencv_imgcodecs IMPORTED_LOCATION)
  endif()
  set(OPENCV_imgcodecs_LIBRARY ${_sodlab_file})
else()
  find_path(OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)
  foreach(module core imgproc imgcodecs)
    find_library(OPENCV_${module}_LIBRARY NAMES opencv_${module} REQUIRED)
  endforeach()
  target_link_libraries(sodlab_opencv_core INTERFACE ${OPENCV_core_LIBRARY} ${OPENCV_imgproc_LIBRARY})
  target_link_libraries(sodlab_opencv INTERFACE ${OPENCV_imgcodecs_LIBRARY})
  target_include_directories(sodlab_opencv_core INTERFACE ${OPENCV_INCLUDE_DIR})
  message(STATUS "OpenCV (core, imgproc, imgcodecs): ${OPENCV_INCLUDE_DIR}")
endif()

# The SONAME (libopencv_imgcodecs.so.406 on Debian bookworm): from the imported target if it says,
# else read from the library file with readelf; the resolved file path as a last resort.
if(_sodlab_soname)
  set(SODLAB_OPENCV_IMGCODECS_SONAME ${_sodlab_soname})
elseif(NOT OPENCV_imgcodecs_LIBRARY)
  set(SODLAB_OPENCV_IMGCODECS_SONAME libopencv_imgcodecs.so)
  message(WARNING "OpenCV imgcodecs library file unknown; non-PNG images will dlopen ${SODLAB_OPENCV_IMGCODECS_SONAME}")
else()
  get_filename_component(_sodlab_real "${OPENCV_imgcodecs_LIBRARY}" REALPATH)
  set(SODLAB_OPENCV_IMGCODECS_SONAME ${_sodlab_real})
  find_program(SODLAB_READELF readelf)
  if(SODLAB_READELF)
    execute_process(COMMAND ${SODLAB_READELF} -d ${_sodlab_real} OUTPUT_VARIABLE _sodlab_dynamic
                    ERROR_QUIET RESULT_VARIABLE _sodlab_rc)
    if(_sodlab_rc EQUAL 0 AND _sodlab_dynamic MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]+)\\]")
      set(SODLAB_OPENCV_IMGCODECS_SONAME ${CMAKE_MATCH_1})
    endif()
  endif()
endif()
message(STATUS "OpenCV imgcodecs, loaded on first non-PNG image: ${SODLAB_OPENCV_IMGCODECS_SONAME}")
