# sodlab-gpu-check (runners/gpu_check.cpp: training-step times of the paper-profile models on CUDA)
# and, with SODLAB_GPU_CHECK_ONLY, the subset of the build it and the device tests need.
#
# Full build: the executable is built with the rest, and ctest runs it on CUDA (skipped without).
# SODLAB_GPU_CHECK_ONLY=ON: only the src/ modules listed in SODLAB_GPU_CHECK_MODULES (their own
#   CMakeLists.txt, unchanged), sodlab-gpu-check, and test_device (tests/train/test_device.cpp, the
#   device and precision tests, one ctest entry per TEST_CASE as in tests/). scripts/gpu-check.sh
#   builds this on GPU machines; cmake/gpu_check_deps.cmake finds what it links.
set(SODLAB_GPU_CHECK_MODULES core metrics data models losses cache train)

if(SODLAB_GPU_CHECK_ONLY)
  foreach(_sodlab_module IN LISTS SODLAB_GPU_CHECK_MODULES)
    add_subdirectory(${PROJECT_SOURCE_DIR}/src/${_sodlab_module} ${PROJECT_BINARY_DIR}/src/${_sodlab_module})
  endforeach()
  # A module that starts linking another sodlab_ library must bring it into the subset.
  foreach(_sodlab_module IN LISTS SODLAB_GPU_CHECK_MODULES)
    get_target_property(_sodlab_links sodlab_${_sodlab_module} LINK_LIBRARIES)
    foreach(_sodlab_link IN LISTS _sodlab_links)
      if(_sodlab_link MATCHES "^sodlab_[a-z_]+$" AND NOT TARGET ${_sodlab_link})
        message(FATAL_ERROR "sodlab_${_sodlab_module} links ${_sodlab_link}, which the GPU-check subset does not "
                            "configure: add its folder to SODLAB_GPU_CHECK_MODULES in cmake/gpu_check.cmake, and "
                            "what it links to cmake/gpu_check_deps.cmake and scripts/gpu-check.sh --prepare.")
      endif()
    endforeach()
  endforeach()
endif()

add_executable(sodlab-gpu-check ${PROJECT_SOURCE_DIR}/runners/gpu_check.cpp)
target_link_libraries(sodlab-gpu-check PRIVATE sodlab_core sodlab_models sodlab_losses sodlab_train CLI11::CLI11)
sodlab_use_torch(sodlab-gpu-check)
set_target_properties(sodlab-gpu-check PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
if(NOT SODLAB_GPU_CHECK_ONLY)
  # Built with everything (so that it cannot rot), and a ctest entry that times two steps per
  # model and precision on a CUDA device: skipped (exit 77) where none is visible.
  if(SODLAB_BUILD_TESTS)
    add_test(NAME gpu_check:paper_training_steps_on_cuda COMMAND sodlab-gpu-check --warmup 1 --steps 2)
    set_tests_properties(gpu_check:paper_training_steps_on_cuda PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
  endif()
  return()
endif()

if(SODLAB_BUILD_TESTS)
  # As tests/CMakeLists.txt's sodlab_add_test, for the one file (test_train there also holds the
  # trainer and registry tests, which need the data folders and more of src/).
  enable_testing()
  include(Catch)
  add_executable(test_device ${PROJECT_SOURCE_DIR}/tests/train/test_device.cpp
                             ${PROJECT_SOURCE_DIR}/tests/support/catch_main.cpp)
  target_link_libraries(test_device PRIVATE Catch2::Catch2 sodlab_core sodlab_train)
  target_include_directories(test_device PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(test_device PRIVATE
    SODLAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}" SODLAB_BINARY_DIR="${PROJECT_BINARY_DIR}")
  catch_discover_tests(test_device TEST_PREFIX "test_device:"
                       PROPERTIES TIMEOUT 600 SKIP_REGULAR_EXPRESSION "SKIPPED: ")
endif()
