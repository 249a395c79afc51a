// Overloaded: a visitor for std::visit built from lambdas, one per variant alternative.
// The deduction guide is spelled out because clang 14 (the fuzz build) lacks C++20's
// aggregate deduction.
#pragma once

namespace bt::ir {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace bt::ir
