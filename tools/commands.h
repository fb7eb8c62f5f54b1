// The subcommands of `qsa`. Each Add*Command registers a subcommand and its options on the app,
// storing what the user typed in an *Args struct; the matching *Command function does the work,
// prints to standard output and throws qsa::Error on failure (main.cc turns that into one line
// on standard error and exit code 1).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace qsa::tools {

// qsa run MODEL [--input [NAME=]FILE.npy]... [--engine E] [--requant MODE] --out DIR
struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string engine = "golden";
  std::string requant = "tflite-double";
  std::string out_dir;
};
CLI::App* AddRunCommand(CLI::App& app, RunArgs& args);
void RunCommand(const RunArgs& args);

// qsa inspect MODEL [--input NAME=FILE.npy]...
struct InspectArgs {
  std::string model;
  std::vector<std::string> inputs;
};
CLI::App* AddInspectCommand(CLI::App& app, InspectArgs& args);
void InspectCommand(const InspectArgs& args);

// qsa demo [--examples DIR]
struct DemoArgs {
  std::string examples_dir;
};
CLI::App* AddDemoCommand(CLI::App& app, DemoArgs& args);
void DemoCommand(const DemoArgs& args);

}  // namespace qsa::tools
