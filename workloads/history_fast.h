// A fast path for parsing one history line (history.h's JSON-lines format), for histories of
// millions of operations: a flat JSON object whose values are strings, integers or null, parsed
// without building a DOM. It accepts only lines that are valid history operations and gives the
// same HistoryOp as the general parser (nlohmann's); anything else, valid or not (a float, a \u
// escape, a duplicate field, an error to report), returns false and the caller falls back to the
// general parser, which decides and words the error.
#pragma once

#include <string_view>

#include "workloads/history.h"

namespace kvlab::workloads {

// True and *op filled if `line` is a valid history operation this parser handles; false otherwise
// (*op then holds garbage).
bool ParseHistoryLineFast(std::string_view line, HistoryOp* op);

}  // namespace kvlab::workloads
