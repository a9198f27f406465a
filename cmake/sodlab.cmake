# Shared build helpers.

# Code version baked into the binary (recorded with every run).
execute_process(COMMAND git describe --always --dirty --abbrev=12
                WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                OUTPUT_VARIABLE SODLAB_GIT_DESCRIBE OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT SODLAB_GIT_DESCRIBE)
  set(SODLAB_GIT_DESCRIBE "unknown")
endif()

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
