# One INTERFACE target carries warnings and project-wide options; every module links it.
add_library(cg_options INTERFACE)
target_compile_options(cg_options INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
target_compile_definitions(cg_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_HAS_CO_AWAIT)
target_include_directories(cg_options INTERFACE ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
if(CHURNGUARD_FUZZ)
  # Every library instrumented for coverage and checked by ASan and UBSan; the fuzz targets add
  # libFuzzer's main (tests/fuzz).
  target_compile_options(cg_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                         -fno-sanitize-recover=undefined -fno-omit-frame-pointer
                         # clang 14 cannot emit -fsanitize=function's checks in coroutine frames
                         # ("Cannot represent a difference across sections").
                         -fno-sanitize=function)
  target_link_options(cg_options INTERFACE -fsanitize=address,undefined)
elseif(CHURNGUARD_TSAN)
  target_compile_options(cg_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(cg_options INTERFACE -fsanitize=thread)
elseif(CHURNGUARD_SANITIZE)
  target_compile_options(cg_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # See above: clang 14's -fsanitize=function breaks on coroutines.
    target_compile_options(cg_options INTERFACE -fno-sanitize=function -fno-sanitize-recover=undefined)
  endif()
  target_link_options(cg_options INTERFACE -fsanitize=address,undefined)
endif()

# cg_module(name SOURCES... DEPS ...): one static library per module folder.
function(cg_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_link_libraries(${name} PUBLIC cg_options ${M_DEPS})
endfunction()
