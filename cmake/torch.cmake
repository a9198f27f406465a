# Which LibTorch the build uses: SODLAB_TORCH (cache, printed at configure time).
#   system  (default) find_package(Torch) as it stands: Debian's libtorch-dev (CPU, 1.13).
#   python  the LibTorch inside a PyTorch install (CPU or CUDA, 2.x): ${Python3_EXECUTABLE} (default:
#           the first python3 on PATH) is asked for torch.utils.cmake_prefix_path, which goes first on
#           CMAKE_PREFIX_PATH. A CUDA PyTorch's TorchConfig enables the CUDA language, so nvcc must
#           be found (PATH, CUDACXX or -DCMAKE_CUDA_COMPILER; scripts/gpu-check.sh sets them).
# The sources use only API present in both 1.13 and 2.x (train/device.cpp tests TORCH_VERSION where
# they differ). A LibTorch whose headers require C++20 (ATen/ATen.h says so) raises the standard to 20.
set(SODLAB_TORCH "system" CACHE STRING "LibTorch to build against: system (find_package(Torch)) | python (python3's PyTorch)")
set_property(CACHE SODLAB_TORCH PROPERTY STRINGS system python)

if(SODLAB_TORCH STREQUAL "python")
  if(NOT Python3_EXECUTABLE)
    find_program(Python3_EXECUTABLE NAMES python3 python DOC "python3 whose PyTorch provides LibTorch")
  endif()
  if(NOT Python3_EXECUTABLE OR NOT EXISTS "${Python3_EXECUTABLE}")
    message(FATAL_ERROR "SODLAB_TORCH=python: no python3 (on PATH, or at Python3_EXECUTABLE='${Python3_EXECUTABLE}'). "
                        "Pass -DPython3_EXECUTABLE=/path/to/python3 (one with PyTorch installed), or use "
                        "-DSODLAB_TORCH=system for Debian's libtorch-dev.")
  endif()
  execute_process(
    COMMAND ${Python3_EXECUTABLE} -c
            "import torch; print(torch.utils.cmake_prefix_path); print(torch.__version__); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"
    RESULT_VARIABLE _sodlab_rc OUTPUT_VARIABLE _sodlab_out ERROR_VARIABLE _sodlab_err
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _sodlab_rc EQUAL 0)
    message(FATAL_ERROR "SODLAB_TORCH=python: ${Python3_EXECUTABLE} cannot import torch (${_sodlab_rc}):\n${_sodlab_err}\n"
                        "Install PyTorch for that interpreter, pass -DPython3_EXECUTABLE=/path/to/python3 that has "
                        "it, or use -DSODLAB_TORCH=system for Debian's libtorch-dev.")
  endif()
  string(REPLACE "\n" ";" _sodlab_lines "${_sodlab_out}")
  list(LENGTH _sodlab_lines _sodlab_n)
  if(NOT _sodlab_n EQUAL 3)
    message(FATAL_ERROR "SODLAB_TORCH=python: unexpected answer from ${Python3_EXECUTABLE}:\n${_sodlab_out}")
  endif()
  list(GET _sodlab_lines 0 SODLAB_TORCH_PREFIX)
  list(GET _sodlab_lines 1 SODLAB_PYTORCH_VERSION)
  list(GET _sodlab_lines 2 _sodlab_cxx11_abi)
  if(NOT _sodlab_cxx11_abi)
    # Every other C++ library here (OpenCV, HDF5, TOML++) is built with the C++11 std::string ABI.
    message(FATAL_ERROR "SODLAB_TORCH=python: PyTorch ${SODLAB_PYTORCH_VERSION} (${Python3_EXECUTABLE}) was built "
                        "with the pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0) and cannot be linked with the "
                        "distribution's C++ libraries; use a PyTorch >= 2.7 wheel or -DSODLAB_TORCH=system.")
  endif()
  list(PREPEND CMAKE_PREFIX_PATH ${SODLAB_TORCH_PREFIX})
  set(_sodlab_torch_from "PyTorch ${SODLAB_PYTORCH_VERSION} of ${Python3_EXECUTABLE}")
elseif(SODLAB_TORCH STREQUAL "system")
  set(_sodlab_torch_from "the system (find_package(Torch))")
else()
  message(FATAL_ERROR "SODLAB_TORCH='${SODLAB_TORCH}': expected system or python")
endif()

find_package(Torch REQUIRED)
if(SODLAB_TORCH STREQUAL "python")
  get_filename_component(_sodlab_found "${Torch_DIR}" REALPATH)
  get_filename_component(_sodlab_wanted "${SODLAB_TORCH_PREFIX}" REALPATH)
  string(FIND "${_sodlab_found}" "${_sodlab_wanted}" _sodlab_pos)
  if(NOT _sodlab_pos EQUAL 0)
    message(FATAL_ERROR "SODLAB_TORCH=python: find_package(Torch) used Torch_DIR=${Torch_DIR}, not the one under "
                        "${SODLAB_TORCH_PREFIX} (a build folder configured before with another LibTorch): configure a fresh one.")
  endif()
endif()
# The C++ standard ATen's headers demand (their `#error ... __cplusplus < 202002L`): newer PyTorch
# releases refuse C++17, so the build follows them up.
foreach(_sodlab_dir IN LISTS TORCH_INCLUDE_DIRS)
  if(EXISTS "${_sodlab_dir}/ATen/ATen.h")
    file(STRINGS "${_sodlab_dir}/ATen/ATen.h" _sodlab_cplusplus REGEX "__cplusplus < [0-9]+L")
    if(_sodlab_cplusplus MATCHES "__cplusplus < 202002L" AND CMAKE_CXX_STANDARD LESS 20)
      set(CMAKE_CXX_STANDARD 20)
    endif()
    break()
  endif()
endforeach()
message(STATUS "LibTorch (SODLAB_TORCH=${SODLAB_TORCH}): ${Torch_VERSION} from ${_sodlab_torch_from}, "
               "${Torch_DIR}; C++${CMAKE_CXX_STANDARD}")
