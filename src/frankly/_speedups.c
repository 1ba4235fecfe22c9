/* Optional accelerator for frankly.check (loaded by frankly/check/_accel.py).
 *
 * The pure-Python code is the reference: every function here returns exactly what the Python
 * steps it replaces return, and tests/test_speedups.py compares the two on a corpus, on every
 * rule example and on arbitrary text.
 *
 *   words(words, sole, nlangs, sample) -> table     the function words of the language profiles
 *   shared(text, table) -> (verdict|None, cuts, words, vowel_groups, e_space, caps, max_gap)
 *       one pass for the figures every check needs: frankly.text.language.detect's fast path
 *       (None sends the caller to the Python detect), frankly.check._engine.sentence_cuts,
 *       frankly.check._metrics.counts and has_capitals_run, and the longest stretch between
 *       two cuts;
 *   build(keys, values, mask_code, month_code) -> automaton    from a Pack's automaton keys
 *   scan(automaton, low, text, live) -> (by_rule, mask_parts|None)
 *       frankly.check._engine._scan before masking: same matches, same filters, same order.
 *   lower(text) -> text.lower()
 *   suspect(text) -> bool     frankly.check._normalise.suspect: could normalising change it
 *   prepare(text) -> low | None    suspect() and lower() in one pass, line breaks as spaces
 *
 * Strings are read in place (1, 2 or 4 bytes per character); nothing is encoded.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "structmember.h"  /* T_OBJECT_EX: the type of a __slots__ field */
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

#if PY_VERSION_HEX < 0x030C0000
#define READY(o) PyUnicode_READY(o)
#else
#define READY(o) 0
#endif

/* ---- function words for language detection ------------------------------------------ */

#define MAX_SAMPLE 1024
#define MAX_LANGS 64
#define WORDS_NAME "frankly._speedups.words"

typedef struct {
    uint64_t hash;
    Py_ssize_t start;     /* offset of the word in pool, or -1 for an empty slot */
    Py_ssize_t len;
    int sole;             /* index of the one language that uses the word, or -1 */
} Slot;

typedef struct {
    size_t mask;          /* slots - 1, a power of two minus one */
    Slot *slot;
    Py_UCS4 *pool;
    Py_ssize_t maxlen;
    Py_ssize_t sample;
    int nlangs;
} Words;

/* FNV-1a over the code points; verdict() computes it as a token grows, so keep the two equal. */
#define FNV_BASIS 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t hash_cps(const Py_UCS4 *w, Py_ssize_t n) {
    uint64_t h = FNV_BASIS;
    for (Py_ssize_t i = 0; i < n; i++) { h ^= w[i]; h *= FNV_PRIME; }
    return h;
}

static void words_free(PyObject *cap) {
    Words *t = PyCapsule_GetPointer(cap, WORDS_NAME);
    if (!t) return;
    PyMem_Free(t->slot); PyMem_Free(t->pool); PyMem_Free(t);
}

/* The slot of word w (of hash h = hash_cps(w, n)), or -1. */
static Py_ssize_t word_find_h(const Words *t, const Py_UCS4 *w, Py_ssize_t n, uint64_t h) {
    for (size_t j = h & t->mask; t->slot[j].start >= 0; j = (j + 1) & t->mask) {
        const Slot *e = &t->slot[j];
        if (e->hash == h && e->len == n && !memcmp(t->pool + e->start, w, n * sizeof(Py_UCS4)))
            return (Py_ssize_t)j;
    }
    return -1;
}

static PyObject *words(PyObject *self, PyObject *args) {
    PyObject *list, *soles;
    int nlangs;
    Py_ssize_t sample;
    if (!PyArg_ParseTuple(args, "O!O!in", &PyList_Type, &list, &PyList_Type, &soles, &nlangs, &sample))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (PyList_GET_SIZE(soles) != n || nlangs < 0 || nlangs > MAX_LANGS || sample < 0 || sample > MAX_SAMPLE) {
        PyErr_SetString(PyExc_ValueError, "words: bad sizes");
        return NULL;
    }
    Py_ssize_t chars = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(list, i);
        if (!PyUnicode_Check(w) || READY(w) < 0) { PyErr_SetString(PyExc_TypeError, "words: str expected"); return NULL; }
        chars += PyUnicode_GET_LENGTH(w);
    }
    size_t slots = 16;
    while (slots < (size_t)n * 2 + 1) slots *= 2;
    Words *t = PyMem_Calloc(1, sizeof(Words));
    if (!t) return PyErr_NoMemory();
    t->mask = slots - 1; t->nlangs = nlangs; t->sample = sample;
    t->slot = PyMem_Calloc(slots, sizeof(Slot));
    t->pool = PyMem_Calloc(chars ? (size_t)chars : 1, sizeof(Py_UCS4));
    PyObject *cap = NULL;
    if (!t->slot || !t->pool) { PyErr_NoMemory(); goto fail; }
    for (size_t j = 0; j < slots; j++) t->slot[j].start = -1;
    Py_ssize_t used = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(list, i);
        Py_ssize_t len = PyUnicode_GET_LENGTH(w);
        long sole = PyLong_AsLong(PyList_GET_ITEM(soles, i));
        if (sole == -1 && PyErr_Occurred()) goto fail;
        if (sole >= nlangs) { PyErr_SetString(PyExc_ValueError, "words: bad language index"); goto fail; }
        if (!len) continue;  /* split() never yields an empty word */
        Py_UCS4 *dst = t->pool + used;
        if (!PyUnicode_AsUCS4(w, dst, len, 0)) goto fail;
        if (word_find_h(t, dst, len, hash_cps(dst, len)) >= 0)
            continue;  /* a duplicate: the first one counts */
        uint64_t h = hash_cps(dst, len);
        size_t j = h & t->mask;
        while (t->slot[j].start >= 0) j = (j + 1) & t->mask;
        t->slot[j].hash = h; t->slot[j].start = used; t->slot[j].len = len;
        t->slot[j].sole = sole < 0 ? -1 : (int)sole;
        used += len;
        if (len > t->maxlen) t->maxlen = len;
    }
    cap = PyCapsule_New(t, WORDS_NAME, words_free);
    if (cap) return cap;
fail:
    PyMem_Free(t->slot); PyMem_Free(t->pool); PyMem_Free(t);
    return NULL;
}

/* str.lower() of one character when it is one character; 0 when it is not (İ) or depends on
   the context (Σ): the caller then leaves the detection to Python. Per Unicode's
   SpecialCasing.txt these two are the only characters whose full lower case differs from
   the simple one that Py_UNICODE_TOLOWER gives (Python applies no language-specific rules). */
static inline Py_UCS4 lower1(Py_UCS4 c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c < 0x100) return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
    if (c == 0x130 || c == 0x3A3) return 0;
    return Py_UNICODE_TOLOWER(c);
}

/* Per character below U+0100: its lower case as lower1 gives it, or SPACE_MARK (not a code
   point) for str.split()'s white space there (ASCII's, U+0085, U+00A0). The usual character
   then costs one load instead of Py_UNICODE_ISSPACE and lower1. */
#define SPACE_MARK 0xFFFFFFFFu
static Py_UCS4 LOW_SP[256];

/* language.detect's fast path: the distinct known words among text[:sample].lower().split(),
   counted per sole-owner language, then _verdict's arithmetic. Returns a new reference to
   (language index, unrounded confidence) or None; NULL on error. Specialised per string kind
   by the compiler. */
HOT PyObject *verdict(const Words *t, int kind, const void *data, Py_ssize_t n) {
    Py_ssize_t m = n < t->sample ? n : t->sample;
    Py_UCS4 small[64];
    Py_UCS4 *tok = small;
    /* The slots already counted, one bit each: on the stack for up to 4096 slots (the
       detector's table has about a thousand), instead of a search through a list per hit. */
    uint64_t small_seen[64];
    size_t nwords = (t->mask + 1 + 63) / 64;
    uint64_t *seen = small_seen;
    if (nwords > 64) {
        if (!(seen = PyMem_Calloc(nwords, sizeof(uint64_t)))) return PyErr_NoMemory();
    } else memset(small_seen, 0, nwords * sizeof(uint64_t));
    if (t->maxlen > 64 && !(tok = PyMem_Malloc(t->maxlen * sizeof(Py_UCS4)))) {
        if (seen != small_seen) PyMem_Free(seen);
        return PyErr_NoMemory();
    }
    int fast[MAX_LANGS] = {0};
    Py_ssize_t tl = 0, nseen = 0;
    uint64_t h = FNV_BASIS;  /* hash_cps of the token so far, computed as it grows */
    int toolong = 0, bail = 0;
    for (Py_ssize_t i = 0; i <= m; i++) {
        Py_UCS4 c = i < m ? PyUnicode_READ(kind, data, i) : ' ', lc;
        if (kind == PyUnicode_1BYTE_KIND || c < 256) lc = LOW_SP[c];
        else if (Py_UNICODE_ISSPACE(c)) lc = SPACE_MARK;
        else if (!(lc = lower1(c))) { bail = 1; break; }  /* İ or Σ: Python decides */
        if (lc == SPACE_MARK) {
            if (tl && !toolong) {
                Py_ssize_t j = word_find_h(t, tok, tl, h);
                if (j >= 0 && !((seen[j >> 6] >> (j & 63)) & 1)) {
                    seen[j >> 6] |= (uint64_t)1 << (j & 63);
                    nseen++;
                    if (t->slot[j].sole >= 0) fast[t->slot[j].sole]++;
                }
            }
            tl = 0; toolong = 0; h = FNV_BASIS;
            continue;
        }
        if (tl < t->maxlen) { tok[tl++] = lc; h = (h ^ lc) * FNV_PRIME; }
        else toolong = 1;  /* longer than any known word */
    }
    if (tok != small) PyMem_Free(tok);
    if (seen != small_seen) PyMem_Free(seen);
    if (!bail && nseen >= 4 && t->nlangs) {
        int best = 0, top = -1, second = -1;
        for (int k = 0; k < t->nlangs; k++) {
            if (fast[k] > top) { second = top; top = fast[k]; best = k; }
            else if (fast[k] > second) second = fast[k];
        }
        if (t->nlangs < 2) second = 0;
        if (top >= 4 && second * 3 < top) {
            double tp = (double)top, sc = (double)second;
            double volume = tp / 6.0 < 1.0 ? tp / 6.0 : 1.0;
            return Py_BuildValue("(id)", best, (tp - sc) / tp * (0.4 + 0.6 * volume));
        }
    }
    Py_RETURN_NONE;
}

/* ---- readability, capitals and sentence ends ------------------------------------------- */

/* Byte maps of frankly.check._metrics._tables: vowel/other and letter/other. */
static unsigned char VOW[256], LET[256];
/* ASCII classes for the cuts: 0 other, 1 white space, 2 [.!?], 3 closing quote or bracket */
static unsigned char CLS[128];

/* UTF-8 bytes of c as str.encode("utf-8", "ignore") gives them (surrogates dropped). */
static inline int utf8(Py_UCS4 c, unsigned char *o) {
    if (c < 0x80) { o[0] = (unsigned char)c; return 1; }
    if (c < 0x800) { o[0] = 0xC0 | (c >> 6); o[1] = 0x80 | (c & 0x3F); return 2; }
    if (c >= 0xD800 && c <= 0xDFFF) return 0;
    if (c < 0x10000) {
        o[0] = 0xE0 | (c >> 12); o[1] = 0x80 | ((c >> 6) & 0x3F); o[2] = 0x80 | (c & 0x3F);
        return 3;
    }
    o[0] = 0xF0 | (c >> 18); o[1] = 0x80 | ((c >> 12) & 0x3F);
    o[2] = 0x80 | ((c >> 6) & 0x3F); o[3] = 0x80 | (c & 0x3F);
    return 4;
}

static inline int is_term(Py_UCS4 c) { return c == '.' || c == '!' || c == '?' || c == 0x2026; }
static inline int is_close(Py_UCS4 c) {
    return c == '"' || c == '\'' || c == 0xBB || c == 0x201D || c == 0x2019 || c == ')' || c == ']';
}
static inline int cls(Py_UCS4 c) {
    if (c < 0x80) return CLS[c];
    if (c == 0x2026) return 2;
    if (c == 0xBB || c == 0x201D || c == 0x2019) return 3;
    return Py_UNICODE_ISSPACE(c) ? 1 : 0;
}

typedef struct { long words, syll, espace; int caps; } Figures;

/* One byte of b" " + text.encode("utf-8", "ignore") + b" ": "e " pairs on the raw bytes, then
   " w" and "cv" pairs after the byte maps with 0xC3 and "'" deleted. */
#define BYTE(x) do { unsigned char x_ = (x); \
        espace += (prevRaw == 'e') & (x_ == ' '); prevRaw = x_; \
        if (x_ != 0xC3 && x_ != '\'') { unsigned char l_ = LET[x_], v_ = VOW[x_]; \
            words += (prevL == ' ') & (l_ == 'w'); syll += (prevV == 'c') & (v_ == 'v'); \
            prevL = l_; prevV = v_; } } while (0)

/* The figures pass is an automaton over characters. Its state is what the pairs above and
   the cuts need to know of the text so far: */
#define S_L 1u    /* the last byte kept by the letter map was a letter ('w', else ' ') */
#define S_V 2u    /* the last byte kept by the vowel map was a vowel ('v', else 'c') */
#define S_E 4u    /* the last raw byte was 'e' */
#define S_U 8u    /* the last character was a capital A-Z (a dropped surrogate keeps it) */
#define S_K 16u   /* after [.!?…]+ closers*: white space here is a cut */
#define NSTATES 32

/* The reference step: character c from state st, as the byte-by-byte rules above say. Adds
   its counts to f, sets *cut when the character is a cut (the cut is its offset), returns the
   next state. Builds the tables below, and runs for characters from U+0100 on. */
static unsigned step(unsigned st, Py_UCS4 c, Figures *f, int *cut) {
    unsigned char prevL = st & S_L ? 'w' : ' ', prevV = st & S_V ? 'v' : 'c';
    unsigned char prevRaw = st & S_E ? 'e' : ' ';
    int prevUpper = (st & S_U) != 0, ok = (st & S_K) != 0, k;
    long words = 0, syll = 0, espace = 0;
    if (c < 0x80) {
        BYTE(c);
        int up = (c - 'A') < 26u;
        f->caps |= up & prevUpper; prevUpper = up;
        k = CLS[c];
    } else {
        unsigned char b[4];
        int nb = utf8(c, b);
        for (int j = 0; j < nb; j++) BYTE(b[j]);
        if (nb) prevUpper = 0;  /* a dropped surrogate does not break a run of capitals */
        k = cls(c);
    }
    /* cuts at [.!?…]+ then closers then white space (the cut is the white space's offset) */
    *cut = 0;
    if (k == 1) { *cut = ok; ok = 0; }
    else if (k == 2) ok = 1;
    else if (k == 0) ok = 0;
    f->words += words; f->syll += syll; f->espace += espace;
    return (prevL == 'w' ? S_L : 0) | (prevV == 'v' ? S_V : 0) | (prevRaw == 'e' ? S_E : 0) |
           (prevUpper ? S_U : 0) | (ok ? S_K : 0);
}

/* step() tabulated for every state and every character below U+0100 (all of a Latin-1
   string), so the usual character costs two loads instead of the rules per UTF-8 byte.
   STEP_NEXT holds the next state times 256: the row of the next lookup. STEP_OUT holds the
   counts in 8-bit lanes (each is 0 or 1 for one such character: its UTF-8 form is at most
   two bytes and the first of two is never a letter, a vowel or a space) and the cut flag in
   the top bit; the lanes are summed in blocks of LANE_BLOCK characters, so none overflows. */
static uint16_t STEP_NEXT[NSTATES * 256];
static uint32_t STEP_OUT[NSTATES * 256];
#define OUT_CUT 0x80000000u
#define LANE_BLOCK 127   /* the capitals lane has 7 bits, under the cut flag */

static void tables(void) {
    memset(VOW, 'c', 256); memset(LET, ' ', 256);
    for (const char *p = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"; *p; p++)
        LET[(unsigned char)*p] = 'w';
    for (const char *p = "aeiouyAEIOUY"; *p; p++) VOW[(unsigned char)*p] = 'v';
    static const int ranges[4][2] = {{0xA0, 0xA6}, {0xA8, 0xB0}, {0xB2, 0xB7}, {0xB9, 0xBD}};
    for (int r = 0; r < 4; r++)
        for (int b = ranges[r][0]; b < ranges[r][1]; b++) {
            VOW[b] = VOW[b - 0x20] = 'v'; LET[b] = LET[b - 0x20] = 'w';
        }
    static const int cons[4] = {0xA7, 0xB1, 0x87, 0x91};
    for (int i = 0; i < 4; i++) LET[cons[i]] = 'w';
    memset(CLS, 0, sizeof(CLS));
    for (const char *p = " \t\n\v\f\r\x1c\x1d\x1e\x1f"; *p; p++) CLS[(unsigned char)*p] = 1;
    CLS['.'] = CLS['!'] = CLS['?'] = 2;
    CLS['"'] = CLS['\''] = CLS[')'] = CLS[']'] = 3;
    for (unsigned st = 0; st < NSTATES; st++)
        for (Py_UCS4 c = 0; c < 256; c++) {
            Figures f = {0, 0, 0, 0};
            int cut;
            unsigned next = step(st, c, &f, &cut);
            STEP_NEXT[st << 8 | c] = (uint16_t)(next << 8);
            STEP_OUT[st << 8 | c] = (uint32_t)f.words | (uint32_t)f.syll << 8 |
                                    (uint32_t)f.espace << 16 | (uint32_t)f.caps << 24 |
                                    (cut ? OUT_CUT : 0);
        }
    for (Py_UCS4 c = 0; c < 256; c++)
        LOW_SP[c] = Py_UNICODE_ISSPACE(c) ? SPACE_MARK : lower1(c);
}

/* A growing array of offsets, on the stack while it is small. */
typedef struct {
    Py_ssize_t *v, n, cap;
    Py_ssize_t small[64];
} Offsets;

static void offsets_init(Offsets *o) { o->v = o->small; o->n = 0; o->cap = 64; }
static void offsets_free(Offsets *o) { if (o->v != o->small) PyMem_Free(o->v); }

static int offsets_grow(Offsets *o) {
    Py_ssize_t cap = o->cap * 2;
    Py_ssize_t *v = o->v == o->small ? PyMem_Malloc(cap * sizeof(Py_ssize_t))
                                     : PyMem_Realloc(o->v, cap * sizeof(Py_ssize_t));
    if (!v) { PyErr_NoMemory(); return -1; }
    if (o->v == o->small) memcpy(v, o->small, sizeof(o->small));
    o->v = v; o->cap = cap;
    return 0;
}

static inline int push(Offsets *o, Py_ssize_t x) {
    if (o->n == o->cap && offsets_grow(o) < 0) return -1;
    o->v[o->n++] = x;
    return 0;
}

/* The counts, the capitals run and the cuts in one pass; specialised per string kind by the
   compiler (a Latin-1 string never leaves the tables). */
HOT int pass(int kind, const void *data, Py_ssize_t n, Offsets *cuts, Figures *f) {
    unsigned row = 0;  /* the state times 256; the start is state 0 (b" " came before) */
    f->words = f->syll = f->espace = 0; f->caps = 0;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t stop = n - i > LANE_BLOCK ? i + LANE_BLOCK : n;
        uint32_t lanes = 0;  /* the cut flags carry out of the top and are lost: harmless */
        for (; i < stop; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            uint32_t out;
            if (kind == PyUnicode_1BYTE_KIND || c < 256) {
                out = STEP_OUT[row | c];
                row = STEP_NEXT[row | c];
            } else {
                int cut;
                row = step(row >> 8, c, f, &cut) << 8;
                out = cut ? OUT_CUT : 0;
            }
            lanes += out;
            if ((out & OUT_CUT) && push(cuts, i) < 0) return -1;
        }
        f->words += lanes & 0xFF; f->syll += (lanes >> 8) & 0xFF;
        f->espace += (lanes >> 16) & 0xFF; f->caps |= (lanes >> 24) & 0x7F;
    }
    f->espace += ((row >> 8) & S_E) != 0;  /* the closing b" " after a final "e" */
    f->caps = f->caps != 0;
    return 0;
}

/* Blank lines: \n, not after [.!?…] or a closer, [ \t]*, \n; non-overlapping like finditer.
   Adds the offsets after them to out; returns -1 on error. */
static int blank_lines(int kind, const void *data, Py_ssize_t n, Offsets *out) {
    for (Py_ssize_t i = 0; i < n; i++) {
        if (kind == PyUnicode_1BYTE_KIND) {  /* the usual case: let memchr find the \n */
            const Py_UCS1 *p = memchr((const Py_UCS1 *)data + i, '\n', n - i);
            if (!p) break;
            i = p - (const Py_UCS1 *)data;
        } else if (PyUnicode_READ(kind, data, i) != '\n') continue;
        if (i > 0) {
            Py_UCS4 p = PyUnicode_READ(kind, data, i - 1);
            if (is_term(p) || is_close(p)) continue;
        }
        Py_ssize_t j = i + 1;
        while (j < n) {
            Py_UCS4 q = PyUnicode_READ(kind, data, j);
            if (q != ' ' && q != '\t') break;
            j++;
        }
        if (j < n && PyUnicode_READ(kind, data, j) == '\n') {
            if (push(out, j + 1) < 0) return -1;
            i = j;
        }
    }
    return 0;
}

static PyObject *shared(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "shared(text: str, table)");
        return NULL;
    }
    PyObject *text = args[0];
    Words *t = PyCapsule_GetPointer(args[1], WORDS_NAME);
    if (!t || READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);

    PyObject *det, *cuts = NULL, *result = NULL;
    Figures fig;
    Offsets dots, blanks, merged;
    offsets_init(&dots); offsets_init(&blanks); offsets_init(&merged);
    int r;
    if (kind == PyUnicode_1BYTE_KIND) {
        det = verdict(t, PyUnicode_1BYTE_KIND, data, n);
        r = pass(PyUnicode_1BYTE_KIND, data, n, &dots, &fig);
    } else if (kind == PyUnicode_2BYTE_KIND) {
        det = verdict(t, PyUnicode_2BYTE_KIND, data, n);
        r = pass(PyUnicode_2BYTE_KIND, data, n, &dots, &fig);
    } else {
        det = verdict(t, PyUnicode_4BYTE_KIND, data, n);
        r = pass(PyUnicode_4BYTE_KIND, data, n, &dots, &fig);
    }
    if (!det || r < 0 || blank_lines(kind, data, n, &blanks) < 0) goto done;
    Offsets *all = &dots;
    if (blanks.n) {  /* merge the two sorted lists, without repeats */
        Py_ssize_t a = 0, b = 0;
        while (a < dots.n || b < blanks.n) {
            Py_ssize_t v;
            if (b == blanks.n || (a < dots.n && dots.v[a] < blanks.v[b])) v = dots.v[a++];
            else if (a == dots.n || blanks.v[b] < dots.v[a]) v = blanks.v[b++];
            else { v = dots.v[a++]; b++; }
            if (push(&merged, v) < 0) goto done;
        }
        all = &merged;
    }
    Py_ssize_t maxgap = 0, prevcut = 0;
    if (!(cuts = PyList_New(all->n))) goto done;
    for (Py_ssize_t k = 0; k <= all->n; k++) {
        Py_ssize_t cut = k < all->n ? all->v[k] : n;
        if (cut - prevcut > maxgap) maxgap = cut - prevcut;
        prevcut = cut;
        if (k < all->n) {
            PyObject *o = PyLong_FromSsize_t(cut);
            if (!o) goto done;
            PyList_SET_ITEM(cuts, k, o);
        }
    }
    result = Py_BuildValue("(OOlllOn)", det, cuts, fig.words, fig.syll, fig.espace,
                           fig.caps ? Py_True : Py_False, maxgap);
done:
    Py_XDECREF(det); Py_XDECREF(cuts);
    offsets_free(&dots); offsets_free(&blanks); offsets_free(&merged);
    return result;
}

/* ---- the phrase scan ------------------------------------------------------------------- */

#define AUTO_NAME "frankly._speedups.automaton"
/* A dense table of more entries than this is not worth it: the pack uses the Python scan. */
#define MAX_CELLS ((size_t)1 << 25)  /* 128 MB */

/* An Aho-Corasick DFA over the code points that occur in the keys (every other code point is
   class 0), laid out for the cache: the rest of the check evicts it between messages, so the
   scan is bound by its cache misses, one per state visited whose line is not cached.

   Most visits are to shallow states (three quarters within 4 characters of the root), which
   get dense rows: a move is one load. The deep states that do not branch (17k of 19k for
   English, 36k of 39k for Spanish: the insides of long phrases) get an 8-byte Sparse record
   instead of a row: their one child, else the move of their fail state, which is shallower.
   A deep chain's records are consecutive, so following a phrase reads one cache line per 8
   characters rather than one per character. The cells are 16-bit (both packs: 19k and 39k
   states); with more than 65,536 states every state gets a row of 32-bit cells instead.
   English goes from 3.4 MB of 32-bit rows to 0.3 MB, Spanish from 8 MB to 0.7 MB.

   State numbers: dense states without an output, dense states with one (each group
   breadth-first, so the shallow ones share cache lines), then the sparse states chain by
   chain. The scan tells a possible output by the number alone, without touching out_key and
   out_link at every character. */
typedef struct {
    uint16_t cls;         /* the child's class, or NO_CLASS for a leaf */
    uint16_t child;
    uint16_t fail;
    uint16_t out;         /* whether the state has an output */
} Sparse;

#define NO_CLASS 0xFFFF   /* no class: build() allows at most 0xFFFE */
#define DENSE_DEPTH 4     /* states this close to the root always get a row */

typedef struct {
    Py_ssize_t nkeys;
    int nclasses, mask_code, month_code;
    int wide;             /* cells are int32_t (else uint16_t) */
    int32_t first_out;    /* states from this number on may have an output (dense ones do) */
    int32_t first_sparse; /* states from this number on are sparse (nstates when wide) */
    void *next;           /* first_sparse * nclasses cells */
    Sparse *sparse;       /* nstates - first_sparse records */
    int32_t *out_key;     /* key ending exactly at this state, or -1 */
    int32_t *out_link;    /* nearest state on the fail chain with an output, or -1 */
    uint16_t *cls;        /* BMP code point -> class */
    Py_ssize_t *klen;
    unsigned char *need_left, *need_right;
    int *special;
    PyObject **part;      /* per key: the mask part (owned reference) */
} Auto;

static void auto_clear(Auto *a) {
    if (a->part)
        for (Py_ssize_t i = 0; i < a->nkeys; i++) Py_XDECREF(a->part[i]);
    PyMem_Free(a->next); PyMem_Free(a->sparse);
    PyMem_Free(a->out_key); PyMem_Free(a->out_link); PyMem_Free(a->cls);
    PyMem_Free(a->klen); PyMem_Free(a->need_left); PyMem_Free(a->need_right);
    PyMem_Free(a->special); PyMem_Free(a->part); PyMem_Free(a);
}

static void auto_free(PyObject *cap) {
    Auto *a = PyCapsule_GetPointer(cap, AUTO_NAME);
    if (a) auto_clear(a);
}

static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *keys, *values;
    int mask_code, month_code;
    if (!PyArg_ParseTuple(args, "O!O!ii", &PyList_Type, &keys, &PyList_Type, &values,
                          &mask_code, &month_code))
        return NULL;
    Py_ssize_t nkeys = PyList_GET_SIZE(keys);
    if (PyList_GET_SIZE(values) != nkeys || nkeys >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "build: keys and values differ in length");
        return NULL;
    }
    Auto *a = PyMem_Calloc(1, sizeof(Auto));
    if (!a) return PyErr_NoMemory();
    int32_t *next = NULL, *fail = NULL, *queue = NULL, *newid = NULL, *tree = NULL;
    a->nkeys = nkeys; a->mask_code = mask_code; a->month_code = month_code;
    a->cls = PyMem_Calloc(0x10000, sizeof(uint16_t));
    a->klen = PyMem_Calloc(nkeys + 1, sizeof(Py_ssize_t));
    a->need_left = PyMem_Calloc(nkeys + 1, 1);
    a->need_right = PyMem_Calloc(nkeys + 1, 1);
    a->special = PyMem_Calloc(nkeys + 1, sizeof(int));
    a->part = PyMem_Calloc(nkeys + 1, sizeof(PyObject *));
    if (!a->cls || !a->klen || !a->need_left || !a->need_right || !a->special || !a->part) {
        PyErr_NoMemory(); goto fail;
    }
    size_t total = 1;
    int C = 1;
    for (Py_ssize_t i = 0; i < nkeys; i++) {
        PyObject *k = PyList_GET_ITEM(keys, i), *v = PyList_GET_ITEM(values, i);
        if (!PyUnicode_Check(k) || READY(k) < 0 || !PyTuple_Check(v) || PyTuple_GET_SIZE(v) < 6) {
            PyErr_SetString(PyExc_TypeError, "build: keys are str, values 6-tuples");
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(k);
        if (!n) { PyErr_SetString(PyExc_ValueError, "build: empty key"); goto fail; }
        total += (size_t)n;
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_UCS4 c = PyUnicode_READ_CHAR(k, j);
            if (c >= 0x10000) { PyErr_SetString(PyExc_ValueError, "build: key beyond the BMP"); goto fail; }
            if (!a->cls[c]) {
                if (C == 0xFFFF) { PyErr_SetString(PyExc_ValueError, "build: too many characters"); goto fail; }
                a->cls[c] = (uint16_t)C++;
            }
        }
        a->klen[i] = n;
        int l = PyObject_IsTrue(PyTuple_GET_ITEM(v, 1)), r = PyObject_IsTrue(PyTuple_GET_ITEM(v, 2));
        long sp = PyLong_AsLong(PyTuple_GET_ITEM(v, 4));
        if (l < 0 || r < 0 || (sp == -1 && PyErr_Occurred())) goto fail;
        a->need_left[i] = (unsigned char)l; a->need_right[i] = (unsigned char)r;
        a->special[i] = (int)sp;
        a->part[i] = Py_NewRef(PyTuple_GET_ITEM(v, 5));
    }
    a->nclasses = C;
    if (total >= INT32_MAX || total > MAX_CELLS / (size_t)C) {
        PyErr_SetString(PyExc_ValueError, "build: too many keys for a dense table");
        goto fail;
    }
    /* The trie, then the fail links breadth-first, filling the missing moves. 0 is "no move
       yet" (the root is nobody's child): zeroed pages that the trie never reaches (it has
       far fewer states than key characters) are never touched, then given back. */
    next = PyMem_Calloc(total * C, sizeof(int32_t));
    a->out_key = PyMem_Malloc(sizeof(int32_t) * total);
    if (!next || !a->out_key) { PyErr_NoMemory(); goto fail; }
    for (size_t i = 0; i < total; i++) a->out_key[i] = -1;
    int32_t ns = 1;
    for (Py_ssize_t i = 0; i < nkeys; i++) {
        PyObject *k = PyList_GET_ITEM(keys, i);
        int32_t s = 0;
        for (Py_ssize_t j = 0; j < a->klen[i]; j++) {
            size_t cell = (size_t)s * C + a->cls[PyUnicode_READ_CHAR(k, j)];
            if (!next[cell]) next[cell] = ns++;
            s = next[cell];
        }
        if (a->out_key[s] < 0) a->out_key[s] = (int32_t)i;  /* a repeated key: the first */
    }
    int32_t *shrunk = PyMem_Realloc(next, sizeof(int32_t) * (size_t)ns * C);
    if (shrunk) next = shrunk;
    fail = PyMem_Calloc(ns, sizeof(int32_t));
    queue = PyMem_Malloc(sizeof(int32_t) * ns);
    a->out_link = PyMem_Malloc(sizeof(int32_t) * ns);
    /* per state of the trie: depth, number of children, the last child and its class */
    tree = PyMem_Calloc(4 * (size_t)ns, sizeof(int32_t));
    if (!fail || !queue || !a->out_link || !tree) { PyErr_NoMemory(); goto fail; }
    int32_t *depth = tree, *nkids = tree + ns;
    int32_t *kid = tree + 2 * (size_t)ns, *kidcls = tree + 3 * (size_t)ns;
    int32_t qh = 0, qt = 0;
    a->out_link[0] = -1;
    for (int c = 0; c < C; c++) {
        int32_t t = next[c];  /* a missing move from the root stays at the root */
        if (t) { a->out_link[t] = -1; queue[qt++] = t; depth[t] = 1; }
    }
    while (qh < qt) {
        int32_t s = queue[qh++];
        for (int c = 0; c < C; c++) {
            int32_t t = next[(size_t)s * C + c], f = next[(size_t)fail[s] * C + c];
            if (!t) { next[(size_t)s * C + c] = f; continue; }
            fail[t] = f;
            a->out_link[t] = a->out_key[f] >= 0 ? f : a->out_link[f];
            queue[qt++] = t;
            depth[t] = depth[s] + 1; nkids[s]++; kid[s] = t; kidcls[s] = c;
        }
    }
    /* Renumber (see Auto): the root, then the queue, is breadth-first. */
    a->wide = ns > 0x10000;
#define SPARSE(s) (!a->wide && depth[s] > DENSE_DEPTH && nkids[s] <= 1)
#define HAS_OUT(s) (a->out_key[s] >= 0 || a->out_link[s] >= 0)
    newid = PyMem_Malloc(sizeof(int32_t) * ns);
    if (!newid) { PyErr_NoMemory(); goto fail; }
    for (int32_t s = 0; s < ns; s++) newid[s] = -1;
    int32_t id = 0;
    for (int with_output = 0; with_output < 2; with_output++) {
        if (with_output) a->first_out = id;
        for (int32_t q = -1; q < qt; q++) {
            int32_t s = q < 0 ? 0 : queue[q];
            if (!SPARSE(s) && HAS_OUT(s) == with_output) newid[s] = id++;
        }
    }
    a->first_sparse = id;
    for (int32_t q = 0; q < qt; q++)  /* a chain's first state comes before the rest */
        for (int32_t s = queue[q]; SPARSE(s) && newid[s] < 0; s = nkids[s] ? kid[s] : 0)
            newid[s] = id++;
    int32_t nd = a->first_sparse;
    size_t cellsize = a->wide ? sizeof(int32_t) : sizeof(uint16_t);
    a->next = PyMem_Malloc(cellsize * (size_t)nd * C);
    a->sparse = PyMem_Malloc(sizeof(Sparse) * (size_t)(ns - nd + 1));
    int32_t *ok2 = PyMem_Malloc(sizeof(int32_t) * ns), *ol2 = PyMem_Malloc(sizeof(int32_t) * ns);
    if (!a->next || !a->sparse || !ok2 || !ol2) {
        PyMem_Free(ok2); PyMem_Free(ol2);
        PyErr_NoMemory(); goto fail;
    }
    for (int32_t s = 0; s < ns; s++) {
        int32_t to = newid[s];
        if (to >= nd) {
            Sparse *r = &a->sparse[to - nd];
            r->cls = nkids[s] ? (uint16_t)kidcls[s] : NO_CLASS;
            r->child = (uint16_t)(nkids[s] ? newid[kid[s]] : 0);
            r->fail = (uint16_t)newid[fail[s]];
            r->out = HAS_OUT(s);
        } else {
            for (int c = 0; c < C; c++) {
                int32_t v = newid[next[(size_t)s * C + c]];
                if (a->wide) ((int32_t *)a->next)[(size_t)to * C + c] = v;
                else ((uint16_t *)a->next)[(size_t)to * C + c] = (uint16_t)v;
            }
        }
        ok2[to] = a->out_key[s];
        ol2[to] = a->out_link[s] >= 0 ? newid[a->out_link[s]] : -1;
    }
#undef SPARSE
#undef HAS_OUT
    PyMem_Free(next); PyMem_Free(a->out_key); PyMem_Free(a->out_link);
    PyMem_Free(fail); PyMem_Free(queue); PyMem_Free(newid); PyMem_Free(tree);
    a->out_key = ok2; a->out_link = ol2;
    PyObject *cap = PyCapsule_New(a, AUTO_NAME, auto_free);
    if (!cap) auto_clear(a);
    return cap;
fail:
    PyMem_Free(next); PyMem_Free(fail); PyMem_Free(queue); PyMem_Free(newid); PyMem_Free(tree);
    auto_clear(a);
    return NULL;
}

static inline int alnum_at(int kind, const void *d, Py_ssize_t i) {
    Py_UCS4 c = PyUnicode_READ(kind, d, i);
    if (c < 128) return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
    return Py_UNICODE_ISALNUM(c);
}

/* The automaton from state *state over d[i:n] up to a state with an output: returns that
   state's position (the state is in *state), or n. Specialised per string kind and cell
   width by the compiler: the loop is a load of the class and a load of the next state. */
HOT Py_ssize_t run(const Auto *a, int kind, int wide, const void *d, Py_ssize_t i, Py_ssize_t n,
                   int32_t *state) {
    const size_t C = (size_t)a->nclasses;
    const uint16_t *cls = a->cls;
    const void *next = a->next;
    const Sparse *sparse = a->sparse;
    const int32_t first_out = a->first_out, first_sparse = a->first_sparse;
    int32_t s = *state;
    for (; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        unsigned k = kind == PyUnicode_4BYTE_KIND && c >= 0x10000 ? 0 : cls[c];
        if (!wide)  /* a sparse state: its child, or the move of its fail state */
            while (s >= first_sparse) {
                const Sparse *r = &sparse[s - first_sparse];
                if (r->cls == k) { s = r->child; goto moved; }
                s = r->fail;
            }
        size_t cell = (size_t)s * C + k;
        s = wide ? ((const int32_t *)next)[cell] : ((const uint16_t *)next)[cell];
    moved:
        if (s >= first_out && (s < first_sparse || sparse[s - first_sparse].out)) break;
    }
    *state = s;
    return i;
}

static Py_ssize_t run_any(const Auto *a, int kind, const void *d, Py_ssize_t i, Py_ssize_t n,
                          int32_t *state) {
    if (a->wide) {
        if (kind == PyUnicode_1BYTE_KIND) return run(a, PyUnicode_1BYTE_KIND, 1, d, i, n, state);
        if (kind == PyUnicode_2BYTE_KIND) return run(a, PyUnicode_2BYTE_KIND, 1, d, i, n, state);
        return run(a, PyUnicode_4BYTE_KIND, 1, d, i, n, state);
    }
    if (kind == PyUnicode_1BYTE_KIND) return run(a, PyUnicode_1BYTE_KIND, 0, d, i, n, state);
    if (kind == PyUnicode_2BYTE_KIND) return run(a, PyUnicode_2BYTE_KIND, 0, d, i, n, state);
    return run(a, PyUnicode_4BYTE_KIND, 0, d, i, n, state);
}

/* What one scan call has built so far, to skip the dict lookups: the rule objects seen (by
   identity) with their roles dict and that dict's first roles (by identity) with their lists,
   and the int of the last end (the keys ending at one position share it; other positions
   rarely repeat). Identity is only a shortcut: an object not found here goes through the
   dicts as before (one PyDict_SetDefault for a new rule), so equal objects that are not the
   same one still share an entry of by_rule, and by_rule comes out exactly as the Python loop
   builds it: same keys, order, lists and payload objects. */
#define RC_SIZE 128   /* hash slots of the rule table (a power of two) */
#define RC_MAX 64     /* rules cached per call; more go through the dicts */
#define RC_ROLES 2    /* roles cached per rule (nearly every rule has one) */

typedef struct {
    PyObject *rule;                 /* owned: not freed and reused while cached */
    PyObject *roles;                /* borrowed: by_rule holds it */
    PyObject *role[RC_ROLES];       /* owned */
    PyObject *list[RC_ROLES];       /* borrowed: roles holds it */
    int nroles;
} RuleEntry;

typedef struct {
    PyObject *spare;                /* an empty dict for PyDict_SetDefault, or NULL (owned) */
    int used;
    unsigned char idx[RC_SIZE];     /* 0: free, else 1 + the index into ent */
    PyObject *to;                   /* the int of the last end (owned), or NULL */
    Py_ssize_t to_at;
    RuleEntry ent[RC_MAX];
} Hits;

static void hits_init(Hits *h) {
    h->spare = h->to = NULL; h->used = 0;
    memset(h->idx, 0, sizeof h->idx);
}

static void hits_free(Hits *h) {
    Py_XDECREF(h->spare); Py_XDECREF(h->to);
    for (int i = 0; i < h->used; i++) {
        Py_DECREF(h->ent[i].rule);
        for (int j = 0; j < h->ent[i].nroles; j++) Py_DECREF(h->ent[i].role[j]);
    }
}

/* roles[role].append(hit), or roles[role] = [hit]; the list in *lst (borrowed) */
static int role_append(PyObject *roles, PyObject *role, PyObject *hit, PyObject **lst) {
    PyObject *l = PyDict_GetItemWithError(roles, role);  /* borrowed */
    if (!l) {
        if (PyErr_Occurred() || !(l = PyList_New(0))) return -1;
        int r = PyDict_SetItem(roles, role, l);
        Py_DECREF(l);  /* roles holds it */
        if (r < 0) return -1;
    }
    *lst = l;
    return PyList_Append(l, hit);
}

/* by_rule[rule][role].append((start, end, payload)) for each (rule, role, payload) slot */
static int add_hits(Hits *h, PyObject *by_rule, PyObject *slots, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t n = PyTuple_GET_SIZE(slots);
    if (!h->to || h->to_at != end) {
        Py_CLEAR(h->to);
        if (!(h->to = PyLong_FromSsize_t(end))) return -1;
        h->to_at = end;
    }
    PyObject *from = PyLong_FromSsize_t(start), *to = h->to;
    if (!from) return -1;
    int result = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *e = PyTuple_GET_ITEM(slots, i);
        if (!PyTuple_Check(e) || PyTuple_GET_SIZE(e) != 3) {
            PyErr_SetString(PyExc_TypeError, "scan: a slot is (rule, role, payload)");
            goto done;
        }
        PyObject *rule = PyTuple_GET_ITEM(e, 0), *role = PyTuple_GET_ITEM(e, 1);
        PyObject *hit = PyTuple_New(3);
        if (!hit) goto done;
        PyTuple_SET_ITEM(hit, 0, Py_NewRef(from));
        PyTuple_SET_ITEM(hit, 1, Py_NewRef(to));
        PyTuple_SET_ITEM(hit, 2, Py_NewRef(PyTuple_GET_ITEM(e, 2)));
        int r;
        size_t k = ((uintptr_t)rule >> 5 ^ (uintptr_t)rule >> 12) & (RC_SIZE - 1);
        RuleEntry *c = NULL;
        for (unsigned j; (j = h->idx[k]); k = (k + 1) & (RC_SIZE - 1))
            if (h->ent[j - 1].rule == rule) { c = &h->ent[j - 1]; break; }
        if (c) {  /* a rule seen before: its roles dict, and maybe the list */
            int j = 0;
            while (j < c->nroles && c->role[j] != role) j++;
            if (j < c->nroles) {
                r = PyList_Append(c->list[j], hit);
            } else {
                PyObject *lst;
                r = role_append(c->roles, role, hit, &lst);
                if (r == 0 && j < RC_ROLES) {
                    c->role[j] = Py_NewRef(role); c->list[j] = lst; c->nroles++;
                }
            }
        } else {  /* one lookup of by_rule: its roles dict, else a new one inserted */
            if (!h->spare && !(h->spare = PyDict_New())) { Py_DECREF(hit); goto done; }
            PyObject *roles = PyDict_SetDefault(by_rule, rule, h->spare);  /* borrowed */
            if (!roles) { Py_DECREF(hit); goto done; }
            PyObject *lst;
            if (roles == h->spare) {  /* new, so empty: no lookup of the role */
                Py_CLEAR(h->spare);  /* by_rule holds it */
                if (!(lst = PyList_New(0))) { Py_DECREF(hit); goto done; }
                r = PyDict_SetItem(roles, role, lst);
                Py_DECREF(lst);  /* roles holds it */
                if (r == 0) r = PyList_Append(lst, hit);
            } else {
                r = role_append(roles, role, hit, &lst);
            }
            if (r == 0 && h->used < RC_MAX) {
                c = &h->ent[h->used++];
                h->idx[k] = (unsigned char)h->used;
                c->rule = Py_NewRef(rule); c->roles = roles;
                c->role[0] = Py_NewRef(role); c->list[0] = lst; c->nroles = 1;
            }
        }
        Py_DECREF(hit);
        if (r < 0) goto done;
    }
    result = 0;
done:
    Py_DECREF(from);
    return result;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *cap, *low, *text, *live;
    if (!PyArg_ParseTuple(args, "OUUO!", &cap, &low, &text, &PyList_Type, &live)) return NULL;
    Auto *a = PyCapsule_GetPointer(cap, AUTO_NAME);
    if (!a || READY(low) < 0 || READY(text) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(low);
    if (PyUnicode_GET_LENGTH(text) != n || PyList_GET_SIZE(live) != a->nkeys) {
        PyErr_SetString(PyExc_ValueError, "scan: text and lower case differ, or live has the wrong size");
        return NULL;
    }
    int kind = PyUnicode_KIND(low), tkind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(low), *td = PyUnicode_DATA(text);
    PyObject *by_rule = PyDict_New(), *parts = NULL;
    if (!by_rule) return NULL;
    Hits h;
    hits_init(&h);
    int32_t s = 0;
    for (Py_ssize_t i = 0; (i = run_any(a, kind, d, i, n, &s)) < n; i++) {
        for (int32_t o = a->out_key[s] >= 0 ? s : a->out_link[s]; o >= 0; o = a->out_link[o]) {
            int32_t key = a->out_key[o];
            PyObject *slots = PyList_GET_ITEM(live, key);
            int special = a->special[key];
            if (slots == Py_None && special != a->mask_code) continue;
            if (slots != Py_None && (!PyTuple_Check(slots) || PyTuple_GET_SIZE(slots) != 2 ||
                                     !PyTuple_Check(PyTuple_GET_ITEM(slots, 0)) ||
                                     !PyTuple_Check(PyTuple_GET_ITEM(slots, 1)))) {
                PyErr_SetString(PyExc_TypeError, "scan: live holds None or (closed, opened)");
                goto fail;
            }
            Py_ssize_t end = i + 1, start = end - a->klen[key];
            if (a->need_left[key] && start && alnum_at(kind, d, start - 1)) continue;
            if (!a->need_right[key] || end >= n || !alnum_at(kind, d, end)) {
                if (special) {
                    if (special == a->month_code) {
                        if (Py_UNICODE_ISUPPER(PyUnicode_READ(tkind, td, start)))
                            continue;  /* "May" the month is not "may" the hedge */
                    } else {
                        if (!parts && !(parts = PySet_New(NULL))) goto fail;
                        if (PySet_Add(parts, a->part[key]) < 0) goto fail;
                    }
                }
                if (slots != Py_None) {
                    PyObject *closed = PyTuple_GET_ITEM(slots, 0);
                    if (PyTuple_GET_SIZE(closed) && add_hits(&h, by_rule, closed, start, end) < 0)
                        goto fail;
                }
            }
            if (slots != Py_None) {
                PyObject *opened = PyTuple_GET_ITEM(slots, 1);
                if (PyTuple_GET_SIZE(opened)) {
                    Py_ssize_t stop = end;
                    while (stop < n && (alnum_at(kind, d, stop) || PyUnicode_READ(kind, d, stop) == '-'))
                        stop++;
                    if (add_hits(&h, by_rule, opened, start, stop) < 0) goto fail;
                }
            }
        }
    }
    hits_free(&h);
    return Py_BuildValue("(NN)", by_rule, parts ? parts : Py_NewRef(Py_None));
fail:
    hits_free(&h);
    Py_DECREF(by_rule); Py_XDECREF(parts);
    return NULL;
}

/* str.lower(text), faster for the usual message: characters below U+0100 through a table
 * (their full lower-case mapping is one character below U+0100), others kept when they have
 * no lower-case form. Any other character (capital Greek, "İ"...) hands the whole text to
 * str.lower, which also handles the final sigma and mappings to several characters. The
 * result has the text's kind: the characters that decide it are kept or the fallback runs. */
static PyObject *lower(PyObject *self, PyObject *text) {
    static Py_UCS4 low1[256];
    static int ready = 0;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "lower(text: str)");
        return NULL;
    }
    if (!ready) {
        for (Py_UCS4 c = 0; c < 256; c++) low1[c] = Py_UNICODE_TOLOWER(c);
        ready = 1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *src = PyUnicode_DATA(text);
    PyObject *out = PyUnicode_New(n, PyUnicode_MAX_CHAR_VALUE(text));
    if (out == NULL) return NULL;
    void *dst = PyUnicode_DATA(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, src, i);
        if (c < 256) {
            c = low1[c];
        } else if (Py_UNICODE_TOLOWER(c) != c || Py_UNICODE_ISUPPER(c) ||
                   Py_UNICODE_ISTITLE(c)) {
            Py_DECREF(out);
            return PyObject_CallMethod(text, "lower", NULL);
        }
        PyUnicode_WRITE(kind, dst, i, c);
    }
    return out;
}

/* ---- objects of slotted classes, and the first digit -------------------------------------- */

#define MAKER_NAME "frankly._speedups.maker"
#define MAX_FIELDS 32

/* A slotted class and the offsets of the fields new() fills, in the caller's order. */
typedef struct {
    PyTypeObject *type;
    Py_ssize_t n;
    Py_ssize_t offset[MAX_FIELDS];
} Maker;

static void maker_free(PyObject *cap) {
    Maker *m = PyCapsule_GetPointer(cap, MAKER_NAME);
    if (!m) return;
    Py_XDECREF(m->type);
    PyMem_Free(m);
}

/* maker(cls, descriptors) -> a maker for new(). ``descriptors`` are cls's own __slots__
   member descriptors (cls.__dict__[name]); every slot of cls must be among them, so that no
   instance new() builds has an unset field. */
static PyObject *maker(PyObject *self, PyObject *args) {
    PyObject *cls, *descrs;
    if (!PyArg_ParseTuple(args, "O!O!", &PyType_Type, &cls, &PyTuple_Type, &descrs)) return NULL;
    PyTypeObject *tp = (PyTypeObject *)cls;
    Py_ssize_t n = PyTuple_GET_SIZE(descrs);
    if (n > MAX_FIELDS || tp->tp_dictoffset != 0 || tp->tp_itemsize != 0) {
        PyErr_SetString(PyExc_ValueError, "maker: a class with __slots__ only, at most 32 of them");
        return NULL;
    }
    Maker *m = PyMem_Calloc(1, sizeof(Maker));
    if (!m) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *d = PyTuple_GET_ITEM(descrs, i);
        if (!Py_IS_TYPE(d, &PyMemberDescr_Type) ||
            ((PyDescrObject *)d)->d_type != tp ||
            ((PyMemberDescrObject *)d)->d_member->type != T_OBJECT_EX) {
            PyErr_SetString(PyExc_TypeError, "maker: each descriptor must be a __slots__ field of cls");
            PyMem_Free(m);
            return NULL;
        }
        m->offset[i] = ((PyMemberDescrObject *)d)->d_member->offset;
    }
    /* every slot is filled: the slots take up the whole object after its header (and the
       weak-reference pointer, when the class has one) */
    Py_ssize_t slots_size = tp->tp_basicsize - (Py_ssize_t)sizeof(PyObject) -
                            (tp->tp_weaklistoffset ? (Py_ssize_t)sizeof(PyObject *) : 0);
    if (tp->tp_base != &PyBaseObject_Type || slots_size != n * (Py_ssize_t)sizeof(PyObject *)) {
        PyErr_SetString(PyExc_ValueError, "maker: the descriptors must cover every slot of cls");
        PyMem_Free(m);
        return NULL;
    }
    m->type = (PyTypeObject *)Py_NewRef(cls);
    m->n = n;
    PyObject *cap = PyCapsule_New(m, MAKER_NAME, maker_free);
    if (!cap) { Py_DECREF(cls); PyMem_Free(m); }
    return cap;
}

/* new(maker, *values) -> an instance of the maker's class with its fields set to values, as
   object.__new__(cls) and one descriptor __set__ per field would give (frozen dataclasses
   included), in one call. */
static PyObject *new_object(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "new(maker, *values)");
        return NULL;
    }
    Maker *m = PyCapsule_GetPointer(args[0], MAKER_NAME);
    if (!m) return NULL;
    if (nargs - 1 != m->n) {
        PyErr_Format(PyExc_TypeError, "new: %zd values for %zd fields", nargs - 1, m->n);
        return NULL;
    }
    PyObject *obj = m->type->tp_alloc(m->type, 0);
    if (!obj) return NULL;
    for (Py_ssize_t i = 0; i < m->n; i++)
        *(PyObject **)((char *)obj + m->offset[i]) = Py_NewRef(args[i + 1]);
    return obj;
}

/* first_digit(text, start, end) -> the offset of the first character in text[start:end]
   that the regular expression \d matches (a Unicode decimal digit), or -1. */
static PyObject *first_digit(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "first_digit(text: str, start: int, end: int)");
        return NULL;
    }
    PyObject *text = args[0];
    if (READY(text) < 0) return NULL;
    Py_ssize_t start = PyLong_AsSsize_t(args[1]), end = PyLong_AsSsize_t(args[2]);
    if ((start == -1 || end == -1) && PyErr_Occurred()) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (start < 0) start = 0;
    if (end > n) end = n;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *p = data;
        for (Py_ssize_t i = start; i < end; i++)  /* no decimal digit below U+0100 but 0-9 */
            if ((unsigned)(p[i] - '0') < 10u) return PyLong_FromSsize_t(i);
    } else {
        for (Py_ssize_t i = start; i < end; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c < 128 ? (c - '0') < 10u : Py_UNICODE_ISDECIMAL(c)) return PyLong_FromSsize_t(i);
        }
    }
    return PyLong_FromLong(-1);
}

/* ---- masking: email addresses, and dropping the matches inside masked stretches ----------- */

HOT int word_char(Py_UCS4 c) {  /* the regular expression \w */
    if (c < 128) return (c - '0') < 10u || ((c | 32) - 'a') < 26u || c == '_';
    return Py_UNICODE_ISALNUM(c);
}

/* emails(text) -> [(start, end), ...]: frankly.text.mask._emails without the Span objects.
   From each "@", the local part runs left over alphanumerics and "._+-"; the domain is
   [\w-]+(?:\.[\w-]+)+ matched right after the "@". */
static PyObject *emails(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "emails(text: str)");
        return NULL;
    }
    if (READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    for (Py_ssize_t at = 0; at < n; at++) {
        if (PyUnicode_READ(kind, d, at) != '@') continue;
        Py_ssize_t start = at;
        while (start > 0) {
            Py_UCS4 c = PyUnicode_READ(kind, d, start - 1);
            int ok = c < 128 ? ((c - '0') < 10u || ((c | 32) - 'a') < 26u || c == '.' ||
                                c == '_' || c == '+' || c == '-')
                             : Py_UNICODE_ISALNUM(c);
            if (!ok) break;
            start--;
        }
        /* the domain: a run, then as many ".run" as follow; at least one */
        Py_ssize_t j = at + 1, end = -1;
        while (j < n && (word_char(PyUnicode_READ(kind, d, j)) || PyUnicode_READ(kind, d, j) == '-')) j++;
        if (j > at + 1) {
            for (;;) {
                if (j >= n || PyUnicode_READ(kind, d, j) != '.') break;
                Py_ssize_t k = j + 1;
                while (k < n && (word_char(PyUnicode_READ(kind, d, k)) || PyUnicode_READ(kind, d, k) == '-')) k++;
                if (k == j + 1) break;
                end = j = k;
            }
        }
        if (start < at && end > 0) {
            PyObject *pair = Py_BuildValue("(nn)", start, end);
            if (!pair || PyList_Append(out, pair) < 0) { Py_XDECREF(pair); Py_DECREF(out); return NULL; }
            Py_DECREF(pair);
        }
    }
    return out;
}

/* Whether [start, end) overlaps a masked stretch: Context.masked on sorted, disjoint stretches. */
static int overlaps(const Py_ssize_t *starts, const Py_ssize_t *ends, Py_ssize_t m,
                    Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t lo = 0, hi = m;  /* bisect_right(starts, end - 1) */
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (end - 1 < starts[mid]) hi = mid; else lo = mid + 1;
    }
    return lo > 0 && ends[lo - 1] > start;
}

static int hit_bounds(PyObject *h, Py_ssize_t *start, Py_ssize_t *end) {
    if (!PyTuple_Check(h) || PyTuple_GET_SIZE(h) < 2) {
        PyErr_SetString(PyExc_TypeError, "drop: a hit is (start, end, payload)");
        return -1;
    }
    *start = PyLong_AsSsize_t(PyTuple_GET_ITEM(h, 0));
    *end = PyLong_AsSsize_t(PyTuple_GET_ITEM(h, 1));
    return ((*start == -1 || *end == -1) && PyErr_Occurred()) ? -1 : 0;
}

/* drop(by_rule, starts, ends): the engine's _drop_masked loop. Removes from by_rule the hits
   that overlap a masked stretch (starts/ends: sorted, disjoint), then the roles and rules left
   without hits. A list with no hit in the masked range is kept as it is. */
static PyObject *drop(PyObject *self, PyObject *args) {
    PyObject *by_rule, *ls, *le;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyDict_Type, &by_rule, &PyList_Type, &ls, &PyList_Type, &le))
        return NULL;
    Py_ssize_t m = PyList_GET_SIZE(ls);
    if (PyList_GET_SIZE(le) != m) {
        PyErr_SetString(PyExc_ValueError, "drop: starts and ends differ in length");
        return NULL;
    }
    if (!m) Py_RETURN_NONE;
    Py_ssize_t *starts = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * m);
    if (!starts) return PyErr_NoMemory();
    Py_ssize_t *ends = starts + m;
    PyObject *rules = NULL, *roles_items = NULL;
    for (Py_ssize_t i = 0; i < m; i++) {
        starts[i] = PyLong_AsSsize_t(PyList_GET_ITEM(ls, i));
        ends[i] = PyLong_AsSsize_t(PyList_GET_ITEM(le, i));
        if ((starts[i] == -1 || ends[i] == -1) && PyErr_Occurred()) goto fail;
    }
    Py_ssize_t first = starts[0], last = ends[m - 1];
    if (!(rules = PyDict_Items(by_rule))) goto fail;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(rules); r++) {
        PyObject *item = PyList_GET_ITEM(rules, r);
        PyObject *rule = PyTuple_GET_ITEM(item, 0), *roles = PyTuple_GET_ITEM(item, 1);
        if (!PyDict_Check(roles)) { PyErr_SetString(PyExc_TypeError, "drop: roles must be a dict"); goto fail; }
        if (!(roles_items = PyDict_Items(roles))) goto fail;
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(roles_items); k++) {
            PyObject *pair = PyList_GET_ITEM(roles_items, k);
            PyObject *role = PyTuple_GET_ITEM(pair, 0), *hits = PyTuple_GET_ITEM(pair, 1);
            if (!PyList_Check(hits)) { PyErr_SetString(PyExc_TypeError, "drop: hits must be a list"); goto fail; }
            Py_ssize_t nh = PyList_GET_SIZE(hits), h;
            for (h = 0; h < nh; h++) {
                Py_ssize_t s, e;
                if (hit_bounds(PyList_GET_ITEM(hits, h), &s, &e) < 0) goto fail;
                if (e > first && s < last) break;
            }
            if (h == nh) continue;  /* all before the first stretch or after the last */
            PyObject *kept = PyList_New(0);
            if (!kept) goto fail;
            for (h = 0; h < PyList_GET_SIZE(hits); h++) {
                PyObject *hit = PyList_GET_ITEM(hits, h);
                Py_ssize_t s, e;
                if (hit_bounds(hit, &s, &e) < 0 ||
                    (!overlaps(starts, ends, m, s, e) && PyList_Append(kept, hit) < 0)) {
                    Py_DECREF(kept);
                    goto fail;
                }
            }
            int rc = PyList_GET_SIZE(kept) ? PyDict_SetItem(roles, role, kept) : PyDict_DelItem(roles, role);
            Py_DECREF(kept);
            if (rc < 0) goto fail;
        }
        Py_CLEAR(roles_items);
        if (!PyDict_GET_SIZE(roles) && PyDict_DelItem(by_rule, rule) < 0) goto fail;
    }
    Py_DECREF(rules);
    PyMem_Free(starts);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(rules); Py_XDECREF(roles_items);
    PyMem_Free(starts);
    return NULL;
}

/* finding(maker, category, rule, severity, template, suggestion, text, start, end) -> Finding:
   the engine's _build_finding for a finding without extra placeholders: the flagged words
   text[start:end] replace "{text}" in the rule's message, a non-empty suggestion replaces
   "{suggestion}", and line and column (1-based) are counted from the start of text. The
   maker's fields are category, rule, severity, message, start, end, text, suggestion, line,
   column. */
static PyObject *finding(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static PyObject *TEXT = NULL, *SUGGESTION = NULL;
    if (nargs != 9 || !PyUnicode_Check(args[4]) || !PyUnicode_Check(args[6])) {
        PyErr_SetString(PyExc_TypeError,
                        "finding(maker, category, rule, severity, template: str, suggestion, "
                        "text: str, start, end)");
        return NULL;
    }
    Maker *m = PyCapsule_GetPointer(args[0], MAKER_NAME);
    if (!m) return NULL;
    if (m->n != 10) {
        PyErr_SetString(PyExc_ValueError, "finding: the maker must have the 10 fields of a Finding");
        return NULL;
    }
    if (!TEXT && !(TEXT = PyUnicode_InternFromString("{text}"))) return NULL;
    if (!SUGGESTION && !(SUGGESTION = PyUnicode_InternFromString("{suggestion}"))) return NULL;
    PyObject *text = args[6], *suggestion = args[5];
    if (READY(text) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    Py_ssize_t start = PyLong_AsSsize_t(args[7]), end = PyLong_AsSsize_t(args[8]);
    if ((start == -1 || end == -1) && PyErr_Occurred()) return NULL;
    if (start < 0 || end < start || end > n) {
        PyErr_SetString(PyExc_ValueError, "finding: start and end must lie inside the text");
        return NULL;
    }
    PyObject *flagged = PyUnicode_Substring(text, start, end), *message = NULL, *line = NULL,
             *column = NULL, *obj = NULL;
    if (!flagged) return NULL;
    if (!(message = PyUnicode_Replace(args[4], TEXT, flagged, -1))) goto done;
    if (suggestion != Py_None) {
        int truthy = PyObject_IsTrue(suggestion);
        if (truthy < 0) goto done;
        if (truthy) {
            PyObject *swapped = PyUnicode_Replace(message, SUGGESTION, suggestion, -1);
            if (!swapped) goto done;
            Py_SETREF(message, swapped);
        }
    }
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t lines = 0, last = -1;
    for (Py_ssize_t i = 0; i < start; i++)
        if (PyUnicode_READ(kind, d, i) == '\n') { lines++; last = i; }
    if (!(line = PyLong_FromSsize_t(lines + 1))) goto done;
    if (!(column = PyLong_FromSsize_t(start - last))) goto done;
    if (!(obj = m->type->tp_alloc(m->type, 0))) goto done;
    PyObject *fields[10] = {args[1], args[2], args[3], message, args[7], args[8], flagged,
                            suggestion, line, column};
    for (int i = 0; i < 10; i++) *(PyObject **)((char *)obj + m->offset[i]) = Py_NewRef(fields[i]);
done:
    Py_DECREF(flagged); Py_XDECREF(message); Py_XDECREF(line); Py_XDECREF(column);
    return obj;
}

/* suspect(text) -> bool: frankly.check._normalise.suspect, whether normalising could change
   the text: a character of its _ODD set, or two spaces, a space before or after a line break.
   One pass with no allocation, so ordinary text pays almost nothing for the normalisation. */
static inline int odd_char(Py_UCS4 c) {
    if (c < 0x100) return c == '\t' || c == '\r' || c == 0xA0 || c == 0xAD;
    if (c < 0x2000)
        return c == 0x131 || c == 0x251 || c == 0x261 || (c >= 0x300 && c <= 0x58F) ||
               c == 0x61C || c == 0x1680 || c == 0x180E;
    if (c < 0x2500)
        return c <= 0x200F || (c >= 0x202A && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) ||
               (c >= 0x2100 && c <= 0x214F) || c >= 0x2460;
    if (c < 0x10000)
        return c == 0x3000 || (c >= 0xFB00 && c <= 0xFB06) || (c >= 0xFE00 && c <= 0xFE0F) ||
               c == 0xFEFF || (c >= 0xFF01 && c <= 0xFF5E);
    return (c >= 0x1D400 && c <= 0x1D7FF) || (c >= 0xE0000 && c <= 0xE007F);
}

HOT int suspect_in(int kind, const void *data, Py_ssize_t n) {
    Py_UCS4 prev = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c <= ' ') {
            if (c == ' ' ? (prev == ' ' || prev == '\n') : (c == '\n' ? prev == ' ' : (c == '\t' || c == '\r')))
                return 1;
        } else if (c >= 0xA0 && odd_char(c)) return 1;
        prev = c;
    }
    return 0;
}

static PyObject *suspect(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "suspect(text: str)");
        return NULL;
    }
    if (READY(text) < 0) return NULL;
    int kind = PyUnicode_KIND(text), r;
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (kind == PyUnicode_1BYTE_KIND) r = suspect_in(PyUnicode_1BYTE_KIND, data, n);
    else if (kind == PyUnicode_2BYTE_KIND) r = suspect_in(PyUnicode_2BYTE_KIND, data, n);
    else r = suspect_in(PyUnicode_4BYTE_KIND, data, n);
    return PyBool_FromLong(r);
}

/* prepare(text) -> low | None: in one pass, frankly.check._engine._lower's result before its
   "’" step (text.lower() with each "\n" read as a space) when the text needs no normalising,
   else None: the text is suspect() (the caller normalises it) or has a character above U+00FF
   that lower-casing changes (the caller lower-cases it in Python). */
/* Per character below U+0100, one entry: bits 0-7 its lower case ("\n" as a space), bit 8
   set for a suspect character, bit 9 for a space, bit 10 for "\n", and bits 12-13 the bits
   9-10 that make a suspect pair after it ("  ", " \n" after a space; "\n " after "\n"). */
static uint16_t PREP[256];
#define P_ODD 0x100u
#define P_SPACE 0x200u
#define P_NL 0x400u

static void prepare_tables(void) {
    for (Py_UCS4 c = 0; c < 256; c++) {
        Py_UCS4 low = c == '\n' ? ' ' : Py_UNICODE_TOLOWER(c);
        unsigned e = (low & 0xFF) | (odd_char(c) ? P_ODD : 0);
        if (c == ' ') e |= P_SPACE | ((P_SPACE | P_NL) << 3);
        if (c == '\n') e |= P_NL | (P_SPACE << 3);
        PREP[c] = (uint16_t)e;
    }
}

HOT int prepare_in(int kind, const void *src, void *dst, Py_ssize_t n) {
    unsigned acc = 0, prev = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, src, i);
        if (kind == PyUnicode_1BYTE_KIND || c < 256) {
            unsigned e = PREP[c];
            acc |= e & ((prev >> 3) | P_ODD);
            prev = e;
            PyUnicode_WRITE(kind, dst, i, e & 0xFF);
            continue;
        }
        if (odd_char(c) || Py_UNICODE_TOLOWER(c) != c || Py_UNICODE_ISUPPER(c) ||
            Py_UNICODE_ISTITLE(c))
            return 1;
        prev = 0;
        PyUnicode_WRITE(kind, dst, i, c);
    }
    return (acc & (P_ODD | P_SPACE | P_NL)) != 0;
}

static PyObject *prepare(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "prepare(text: str)");
        return NULL;
    }
    if (READY(text) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text), r;
    const void *src = PyUnicode_DATA(text);
    PyObject *out = PyUnicode_New(n, PyUnicode_MAX_CHAR_VALUE(text));
    if (out == NULL) return NULL;
    void *dst = PyUnicode_DATA(out);
    if (kind == PyUnicode_1BYTE_KIND) r = prepare_in(PyUnicode_1BYTE_KIND, src, dst, n);
    else if (kind == PyUnicode_2BYTE_KIND) r = prepare_in(PyUnicode_2BYTE_KIND, src, dst, n);
    else r = prepare_in(PyUnicode_4BYTE_KIND, src, dst, n);
    if (r) {
        Py_DECREF(out);
        Py_RETURN_NONE;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"prepare", prepare, METH_O, "prepare(text) -> lower case with line breaks as spaces, or None"},
    {"suspect", suspect, METH_O, "suspect(text) -> whether normalising could change the text"},
    {"words", words, METH_VARARGS, "words(words, sole, nlangs, sample) -> table for shared()"},
    {"shared", (PyCFunction)(void (*)(void))shared, METH_FASTCALL,
     "shared(text, table) -> (verdict|None, cuts, words, vowel_groups, e_space, caps, max_gap)"},
    {"build", build, METH_VARARGS, "build(keys, values, mask_code, month_code) -> automaton"},
    {"scan", scan, METH_VARARGS, "scan(automaton, low, text, live) -> (by_rule, mask_parts|None)"},
    {"lower", lower, METH_O, "lower(text) -> text.lower()"},
    {"emails", emails, METH_O, "emails(text) -> [(start, end)] of the email addresses"},
    {"drop", drop, METH_VARARGS, "drop(by_rule, starts, ends): drop the hits in masked stretches"},
    {"maker", maker, METH_VARARGS, "maker(cls, slot_descriptors) -> maker for new()"},
    {"finding", (PyCFunction)(void (*)(void))finding, METH_FASTCALL,
     "finding(maker, category, rule, severity, template, suggestion, text, start, end) -> Finding"},
    {"new", (PyCFunction)(void (*)(void))new_object, METH_FASTCALL,
     "new(maker, *values) -> an instance of the maker's class"},
    {"first_digit", (PyCFunction)(void (*)(void))first_digit, METH_FASTCALL,
     "first_digit(text, start, end) -> offset of the first \\d in text[start:end], or -1"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "frankly._speedups",
                                    "Optional accelerator for frankly.check.", -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) {
    tables();
    prepare_tables();
    return PyModule_Create(&module);
}
