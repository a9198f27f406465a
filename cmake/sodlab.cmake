# Shared build helpers.

# build/generated/code_version.h: git describe + dirty flag, refreshed at every build.
set(SODLAB_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated)
add_custom_target(sodlab_code_version
  COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${SODLAB_GENERATED_DIR}/code_version.h
          -P ${PROJECT_SOURCE_DIR}/cmake/write_version.cmake
  BYPRODUCTS ${SODLAB_GENERATED_DIR}/code_version.h
  COMMENT "code version")

# One precompiled torch header, reused by every target that includes torch (build time on 2 cores).
add_library(sodlab_torch_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch_anchor.cpp)
target_link_libraries(sodlab_torch_pch PUBLIC torch)
target_precompile_headers(sodlab_torch_pch PRIVATE <torch/torch.h>)

# sodlab_use_torch(target): link LibTorch and reuse the shared precompiled header.
function(sodlab_use_torch target)
  target_link_libraries(${target} PUBLIC torch)
  target_precompile_headers(${target} REUSE_FROM sodlab_torch_pch)
endfunction()

# Every src/ module registers itself so the CLI, tests and benchmarks can link them all.
function(sodlab_register_module target)
  set_property(GLOBAL APPEND PROPERTY SODLAB_MODULES ${target})
endfunction()
