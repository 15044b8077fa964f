#include "daemon/app/cli.hpp"

int main(int argc, char** argv) { return cg::app::run_cli(argc, argv); }
