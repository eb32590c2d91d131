// C++ names for the demangling tests: a class template's member, a function
// template, a function in an anonymous namespace, a static member and a
// lambda, all in a namespace, each doing some of the work.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <string>
namespace geo {
template <typename T, int N> struct Vec {
    T v[N];
    __attribute__((noinline)) T dot(const Vec &o) const {
        T s = 0;
        for (int i = 0; i < N; i++) s += v[i] * o.v[i];
        return s;
    }
};
template <typename T> __attribute__((noinline)) T accumulate_all(const std::vector<T> &xs) {
    T s = 0;
    for (auto &x : xs) s += x * x + 1;
    return s;
}
namespace {
__attribute__((noinline)) long hidden_work(long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += i ^ (s >> 3);
    return s;
}
}
struct Engine {
    __attribute__((noinline)) static double run(int rounds);
};
double Engine::run(int rounds) {
    Vec<double, 8> a{}, b{};
    for (int i = 0; i < 8; i++) { a.v[i] = i; b.v[i] = 8 - i; }
    std::vector<long> xs(1000, 3);
    double t = 0;
    for (int r = 0; r < rounds; r++) {
        t += a.dot(b);
        t += accumulate_all(xs);
        t += hidden_work(2000);
        auto lam = [&](int k) { long q = 0; for (int j = 0; j < k; j++) q += j * r; return q; };
        t += lam(500);
    }
    return t;
}
}
int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 200000;
    printf("%f\n", geo::Engine::run(rounds));
    return 0;
}
