#include "server_probe.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace bench {

long read_vmrss_kb(int pid) {
  if (pid <= 0)
    return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

double read_cpu_s(int pid) {
  if (pid <= 0)
    return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  auto paren = stat.rfind(')'); // the command name may hold spaces
  if (paren == std::string::npos)
    return -1;
  std::istringstream f(stat.substr(paren + 1));
  std::string field;
  long long utime = -1, stime = -1;
  for (int k = 3; k <= 15 && f >> field; ++k) { // fields 14 and 15: utime, stime
    if (k == 14)
      utime = std::atoll(field.c_str());
    else if (k == 15)
      stime = std::atoll(field.c_str());
  }
  if (utime < 0 || stime < 0)
    return -1;
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

namespace {

// Socket inodes listening (state 0A) on `port`.
std::set<std::string> listening_inodes(int port) {
  std::set<std::string> inodes;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
      auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos &&
          std::strtol(local.c_str() + colon + 1, nullptr, 16) == port)
        inodes.insert(inode);
    }
  }
  return inodes;
}

bool process_has_socket(const std::string& pid, const std::set<std::string>& inodes) {
  std::string dir = "/proc/" + pid + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d)
    return false;
  bool found = false;
  while (dirent* e = readdir(d)) {
    char target[128];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0)
      continue;
    target[n] = 0;
    // "socket:[12345]"
    if (std::strncmp(target, "socket:[", 8) == 0) {
      std::string inode(target + 8, size_t(n) - 9);
      if (inodes.count(inode)) {
        found = true;
        break;
      }
    }
  }
  closedir(d);
  return found;
}

} // namespace

int find_listening_pid(int port) {
  auto inodes = listening_inodes(port);
  if (inodes.empty())
    return 0;
  DIR* proc = opendir("/proc");
  if (!proc)
    return 0;
  int pid = 0;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9')
      continue;
    if (process_has_socket(e->d_name, inodes)) {
      pid = std::atoi(e->d_name);
      break;
    }
  }
  closedir(proc);
  return pid;
}

} // namespace bench
