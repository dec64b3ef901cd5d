pragma circom 2.1.0;

// zkinfer's hand-written templates. Every value the prover supplies (<--) is pinned by constraints
// (===, <==) right where it is computed; every range check has an explicit width far below the
// field size, so no value has two decompositions.

include "poseidon.circom";

// in = sum(bits[i] * 2^i) with every bit 0 or 1, so 0 <= in < 2^n.
// n <= 250 keeps 2^n below the field modulus: the decomposition is unique, and no x + p alias
// passes (a 254-bit decomposition without an alias check would let a negative value look positive).
template Bits(n) {
    assert(n >= 1 && n <= 250);
    signal input in;
    signal output bits[n];
    var sum = 0;
    var weight = 1;
    for (var i = 0; i < n; i++) {
        bits[i] <-- (in >> i) & 1;
        bits[i] * (bits[i] - 1) === 0;
        sum += bits[i] * weight;
        weight += weight;
    }
    sum === in;
}

// Requantize one value: q = floor((in + 2^(shift-1)) / 2^shift) (shift 0: q = in), then
// out = max(0, q) when relu == 1, else out = q.
// One decomposition of in + rounding + offset * 2^shift into shift + nq bits pins the remainder
// (the low shift bits), the range of q (the high nq bits) and, with relu, the sign of q at once:
//   relu == 0: offset = -(least q), so q + offset is in [0, 2^nq) and q = high - offset;
//   relu == 1: offset = 2^(nq-1), so the top bit says q >= 0, and when it does the other high bits are q.
//   nq == 0:   q is the same for every input in range, so out is a constant (-offset, or 0 with relu).
// The planner (circuits/plan.ts) derives nq and offset from the exact bounds of in.
template Requantize(shift, nq, offset, relu) {
    signal input in;
    signal output out;
    if (nq == 0) {
        out <== relu == 1 ? 0 : -offset;
    } else {
        assert(shift + nq <= 250);
        component d = Bits(shift + nq);
        var rounding = shift > 0 ? 2 ** (shift - 1) : 0;
        d.in <== in + rounding + offset * 2 ** shift;
        var high = 0;
        for (var k = 0; k < nq - relu; k++) {
            high += d.bits[shift + k] * 2 ** k;
        }
        if (relu == 1) {
            out <== d.bits[shift + nq - 1] * high;
        } else {
            out <== high - offset;
        }
    }
}

// label = the index of the first maximum of in[n].
// The prover names the index as a one-hot choice; constraints force it to be right: the chosen
// value max satisfies max - in[i] >= 0 for every i, and max - in[i] >= 1 for every i before the
// choice (so ties go to the first index). Differences are range-checked in nBits bits, enough
// for the largest difference the planner found possible.
template ArgMax(n, nBits) {
    signal input in[n];
    signal output label;
    signal choice[n];
    signal picked[n];

    var best = 0;
    for (var i = 1; i < n; i++) {
        if (in[i] > in[best]) {
            best = i;
        }
    }

    var count = 0;
    var index = 0;
    var max = 0;
    for (var i = 0; i < n; i++) {
        choice[i] <-- i == best ? 1 : 0;
        choice[i] * (choice[i] - 1) === 0;
        picked[i] <== choice[i] * in[i];
        count += choice[i];
        index += i * choice[i];
        max += picked[i];
    }
    count === 1;
    label <== index;

    component gap[n];
    var chosenLater = 0; // 1 when the choice is after i
    for (var i = n - 1; i >= 0; i--) {
        gap[i] = Bits(nBits);
        gap[i].in <== max - in[i] - chosenLater;
        chosenLater += choice[i];
    }
}

// Hash m field elements with circomlib's Poseidon, at most 16 per call:
// h = Poseidon(in[0..15]), then h = Poseidon(h, next 15), and so on.
template PoseidonChain(m) {
    signal input in[m];
    signal output out;
    var first = m < 16 ? m : 16;
    var calls = 1 + (m - first + 14) \ 15;
    component h[calls];
    h[0] = Poseidon(first);
    for (var i = 0; i < first; i++) {
        h[0].inputs[i] <== in[i];
    }
    var used = first;
    for (var c = 1; c < calls; c++) {
        var take = m - used < 15 ? m - used : 15;
        h[c] = Poseidon(take + 1);
        h[c].inputs[0] <== h[c - 1].out;
        for (var i = 0; i < take; i++) {
            h[c].inputs[i + 1] <== in[used + i];
        }
        used += take;
    }
    out <== h[calls - 1].out;
}

// Range-check n inputs to [min, min + 2^bits) and commit to them:
// commitment = PoseidonChain(salt, packed[0], packed[1], ...) where packed[p] holds inputs
// p*perElement .. as bits-wide digits (value - min). The range checks make the packing injective.
template InputCommitment(n, bits, min, perElement) {
    signal input in[n];
    signal input salt;
    signal output commitment;
    var nPacked = (n + perElement - 1) \ perElement;
    component range[n];
    var packed[nPacked];
    for (var p = 0; p < nPacked; p++) {
        packed[p] = 0;
    }
    for (var i = 0; i < n; i++) {
        range[i] = Bits(bits);
        range[i].in <== in[i] - min;
        packed[i \ perElement] += (in[i] - min) * 2 ** (bits * (i % perElement));
    }
    component hash = PoseidonChain(nPacked + 1);
    hash.in[0] <== salt;
    for (var p = 0; p < nPacked; p++) {
        hash.in[p + 1] <== packed[p];
    }
    commitment <== hash.out;
}
