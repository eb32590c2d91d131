// Four std::threads building strings (t_own_frames.sh): CPU and heap work in
// threads started through the runtime's pthread_create.
#include <thread>
#include <vector>
#include <string>
#include <cstdio>
static long work(int id) { std::vector<std::string> v; long s = 0; for (int i = 0; i < 400000; i++) { v.emplace_back(std::to_string(i * id)); if (v.size() > 1000) v.clear(); s += v.back().size(); } return s; }
int main() { std::vector<std::thread> ts; long r[4]; for (int i = 0; i < 4; i++) ts.emplace_back([&r, i] { r[i] = work(i + 1); }); for (auto &t : ts) t.join(); printf("%ld\n", r[0] + r[3]); }
