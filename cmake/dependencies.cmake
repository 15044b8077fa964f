# Every dependency comes from Debian 12's packages; see README "Dependencies" for why each is here.
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS json url system)
find_package(OpenSSL REQUIRED)
find_package(SQLiteCpp REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Threads REQUIRED)

# fastText ships no CMake config, only a pkg-config file with no flags worth inheriting.
find_path(FASTTEXT_INCLUDE_DIR fasttext/fasttext.h REQUIRED)
find_library(FASTTEXT_LIBRARY fasttext REQUIRED)
add_library(fasttext::fasttext UNKNOWN IMPORTED)
set_target_properties(fasttext::fasttext PROPERTIES
  IMPORTED_LOCATION ${FASTTEXT_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${FASTTEXT_INCLUDE_DIR})

# XGBoost's Debian CMake config references the CLI package; use the C API directly.
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h REQUIRED)
find_library(XGBOOST_LIBRARY xgboost REQUIRED)
add_library(xgboost::c_api UNKNOWN IMPORTED)
set_target_properties(xgboost::c_api PROPERTIES
  IMPORTED_LOCATION ${XGBOOST_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${XGBOOST_INCLUDE_DIR})
