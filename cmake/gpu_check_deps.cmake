# The dependencies of the GPU-check subset (SODLAB_GPU_CHECK_ONLY; cmake/gpu_check.cmake), besides
# LibTorch (cmake/torch.cmake) and OpenCV (cmake/opencv.cmake): HDF5 (C++), TOML++, OpenSSL's
# libcrypto, libpng + zlib, nlohmann-json, CLI11 and Catch2.
#
# SODLAB_GPU_DEPS empty: found on the system as in the full build.
# SODLAB_GPU_DEPS=DIR: found only under DIR, a Debian 12 file tree (DIR/usr/include,
#   DIR/usr/lib/x86_64-linux-gnu, ...) that `scripts/gpu-check.sh --prepare` unpacks from Debian's
#   packages, for a machine with no package manager. HDF5 is linked statically from it (Debian's
#   shared libhdf5 needs libcurl and a dozen libraries more); the shared libraries there are found at
#   run time through the executables' RPATH (DT_RPATH, which also covers the libraries' own
#   dependencies), so no LD_LIBRARY_PATH is needed.
set(SODLAB_GPU_DEPS "" CACHE PATH "Prepared dependencies for SODLAB_GPU_CHECK_ONLY (scripts/gpu-check.sh --prepare); empty: the system's")

if(NOT SODLAB_GPU_DEPS)
  find_package(HDF5 REQUIRED COMPONENTS C CXX)
  find_package(tomlplusplus REQUIRED)
  find_package(OpenSSL REQUIRED COMPONENTS Crypto)
  find_package(nlohmann_json REQUIRED)
  find_package(CLI11 REQUIRED)
  if(SODLAB_BUILD_TESTS)
    find_package(Catch2 REQUIRED)
  endif()
  message(STATUS "GPU-check subset: dependencies from the system")
  return()
endif()

get_filename_component(_sodlab_deps "${SODLAB_GPU_DEPS}" ABSOLUTE)
set(_sodlab_usr "${_sodlab_deps}/usr")
set(SODLAB_GPU_DEPS_LIBDIR "${_sodlab_usr}/lib/x86_64-linux-gnu")
if(NOT EXISTS "${_sodlab_deps}/MANIFEST")
  message(FATAL_ERROR "SODLAB_GPU_DEPS=${SODLAB_GPU_DEPS} holds no prepared dependencies (no MANIFEST): run "
                      "`scripts/gpu-check.sh --prepare` on a Debian 12 machine with network access first.")
endif()

# The find modules' result variables, preset so that nothing outside the folder is picked up.
set(_sodlab_inc "${_sodlab_usr}/include")
set(ZLIB_INCLUDE_DIR "${_sodlab_inc}" CACHE PATH "zlib headers")
set(ZLIB_LIBRARY "${SODLAB_GPU_DEPS_LIBDIR}/libz.so" CACHE FILEPATH "zlib")
set(PNG_PNG_INCLUDE_DIR "${_sodlab_inc}" CACHE PATH "libpng headers")
set(PNG_LIBRARY "${SODLAB_GPU_DEPS_LIBDIR}/libpng16.so" CACHE FILEPATH "libpng")
set(OPENSSL_INCLUDE_DIR "${_sodlab_inc}" CACHE PATH "OpenSSL headers")
set(OPENSSL_CRYPTO_LIBRARY "${SODLAB_GPU_DEPS_LIBDIR}/libcrypto.so" CACHE FILEPATH "libcrypto")
set(OPENCV_INCLUDE_DIR "${_sodlab_inc}/opencv4" CACHE PATH "OpenCV headers")
set(OPENCV_core_LIBRARY "${SODLAB_GPU_DEPS_LIBDIR}/libopencv_core.so" CACHE FILEPATH "OpenCV core")
set(OPENCV_imgproc_LIBRARY "${SODLAB_GPU_DEPS_LIBDIR}/libopencv_imgproc.so" CACHE FILEPATH "OpenCV imgproc")
# What src/models (and src/cache) read of FindHDF5's results; the archives of Debian's serial build.
set(HDF5_INCLUDE_DIRS "${_sodlab_inc}/hdf5/serial")
set(HDF5_CXX_LIBRARIES "${SODLAB_GPU_DEPS_LIBDIR}/libhdf5_serial_cpp.a")
set(HDF5_LIBRARIES "${SODLAB_GPU_DEPS_LIBDIR}/libhdf5_serial.a" "${SODLAB_GPU_DEPS_LIBDIR}/libsz.a"
                   "${SODLAB_GPU_DEPS_LIBDIR}/libaec.a" "${ZLIB_LIBRARY}" ${CMAKE_DL_LIBS} m)
foreach(_sodlab_file IN ITEMS "${ZLIB_LIBRARY}" "${PNG_LIBRARY}" "${OPENSSL_CRYPTO_LIBRARY}" "${OPENCV_core_LIBRARY}"
                              "${OPENCV_imgproc_LIBRARY}" "${HDF5_CXX_LIBRARIES}" "${HDF5_INCLUDE_DIRS}/H5Cpp.h"
                              "${_sodlab_inc}/opencv4/opencv2/imgcodecs.hpp" "${_sodlab_inc}/openssl/configuration.h")
  if(NOT EXISTS "${_sodlab_file}")
    message(FATAL_ERROR "SODLAB_GPU_DEPS: ${_sodlab_file} is missing; run `scripts/gpu-check.sh --prepare` again.")
  endif()
endforeach()

find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(tomlplusplus REQUIRED CONFIG PATHS "${SODLAB_GPU_DEPS_LIBDIR}/cmake" NO_DEFAULT_PATH)
find_package(nlohmann_json REQUIRED CONFIG PATHS "${_sodlab_usr}/share/cmake" NO_DEFAULT_PATH)
find_package(CLI11 REQUIRED CONFIG PATHS "${_sodlab_usr}/share/cmake" NO_DEFAULT_PATH)
if(SODLAB_BUILD_TESTS)
  find_package(Catch2 REQUIRED CONFIG PATHS "${_sodlab_usr}/lib/cmake" NO_DEFAULT_PATH)
endif()

# Run time: the folder's shared libraries and theirs, through DT_RPATH (RUNPATH would serve only the
# executables' direct dependencies); link time: the same folder for the libraries' dependencies.
list(APPEND CMAKE_BUILD_RPATH "${SODLAB_GPU_DEPS_LIBDIR}")
string(APPEND CMAKE_EXE_LINKER_FLAGS " -Wl,--disable-new-dtags -Wl,-rpath-link,${SODLAB_GPU_DEPS_LIBDIR}")
message(STATUS "GPU-check subset: dependencies from SODLAB_GPU_DEPS=${_sodlab_deps}")
