// `kvlab wal check DIR` and `kvlab wal repair DIR`: the redis-check-aof of kvlab.
//
// check reads a data dir (both policies' files, never writing them: wal_scan.h) and prints per
// file its records and bytes, a torn tail, or the first corrupt record's offset and reason, then
// whether the policy's recovery succeeds. Exit 0 clean (a torn tail is clean: the node cuts it at
// start), 1 corrupt, 2 bad input (no such dir, not a data dir).
//
// repair takes the data dir's lock (so never while a node runs on it), and cuts each corrupt log
// at its last good record after copying the whole file to `<file>.bak-<n>`; it says how many bytes
// and records it cut, then checks again. Exit 0 when the dir is clean afterwards, 1 when it is not
// (a corrupt snapshot, or records that contradict each other: cutting cannot fix those), 2 bad
// input or a locked dir. Torn tails are left to the node.
#pragma once

#include <string>

#include "real/wal_scan.h"

namespace kvlab::real {

int RunWalCheck(const std::string& dir);
int RunWalRepair(const std::string& dir);

// The check's report: a header naming the dir's record, one line per file and per recovery,
// then the verdict ("clean" or "CORRUPT").
std::string FormatDirScan(const DirScan& scan);

}  // namespace kvlab::real
