// C++ allocation sites: operator new/delete, new[]/delete[], aligned new
// (align_val_t) and a growing std::vector.  libstdc++ routes them all
// through malloc/aligned_alloc and free, which cprof interposes.
#include <cstdio>
#include <cstdlib>
#include <vector>

struct alignas(128) Wide {
    char data[384];
};

// Every pointer escapes here, so the compiler cannot elide new/delete pairs.
void *volatile escape;

struct Node {
    long v[8]; // 64 bytes
};

__attribute__((noinline)) static void new_site(int n)
{
    for (int i = 0; i < n; i++) {
        Node *p = new Node();
        p->v[0] = i;
        escape = p;
        delete p;
    }
}

__attribute__((noinline)) static void new_array_site(int n)
{
    for (int i = 0; i < n; i++) {
        char *p = new char[300];
        p[0] = 1;
        escape = p;
        delete[] p;
    }
}

__attribute__((noinline)) static void aligned_site(int n)
{
    for (int i = 0; i < n; i++) {
        Wide *w = new Wide();
        if (reinterpret_cast<unsigned long>(w) % 128) {
            std::printf("misaligned\n");
            std::exit(1);
        }
        escape = w;
        delete w;
    }
}

Node *leaked_node;

__attribute__((noinline)) static void leak_site()
{
    leaked_node = new Node();
}

int main()
{
    new_site(1000);
    new_array_site(200);
    aligned_site(50);
    leak_site();
    std::vector<int> v;
    for (int i = 0; i < 1000; i++)
        v.push_back(i);
    std::printf("ok %d\n", v[999]);
    return 0;
}
