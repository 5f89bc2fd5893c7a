"""The same math in plain numpy: the floor any engine should be compared against.

Every function takes `w`, the checkpoint's arrays by variable name, and the
feeds by placeholder name, and mirrors the graph in models.py op for op.
Each `make_*` returns (check, step): `check()` gives the values compared with
the engines' fetches, `step()` is the call that is timed.
"""

import numpy as np

import models

ADAM = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def _relu(x):
    return np.maximum(x, 0, out=x)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _mlp_layers(w, x):
    """Activations of each dense layer (ReLU applied except on the last)."""
    acts = [x]
    for i in range(3):
        h = acts[-1] @ w["dense%d/kernel" % i] + w["dense%d/bias" % i]
        acts.append(_relu(h) if i < 2 else h)
    return acts


def make_seed(w, feeds):
    vx = np.float32(w["vx"])
    a, b = feeds["v1:0"], feeds["v2:0"]

    def step():
        return np.float32(a) * np.float32(b) + vx
    return (lambda: [step()]), step


def make_mlp(w, feeds):
    x = feeds["x:0"]

    def step():
        return _softmax(_mlp_layers(w, x)[-1])
    return (lambda: [step()]), step


def _im2col3x3(x):
    """[n*h*w, 9*c] patches of a 3x3 SAME window, in the filter's [kh, kw, in] order."""
    n, h, wd, c = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    patches = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2))
    return patches.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * wd, 9 * c)


def _conv3x3_same(x, kernel, bias):
    """im2col + one GEMM; kernel is TF's [kh, kw, in, out]."""
    n, h, wd, c = x.shape
    out = _im2col3x3(x) @ kernel.reshape(9 * c, -1) + bias
    return out.reshape(n, h, wd, -1)


def _maxpool2(x):
    n, h, wd, c = x.shape
    return x.reshape(n, h // 2, 2, wd // 2, 2, c).max(axis=(2, 4))


def make_cnn(w, feeds):
    x = feeds["x:0"]

    def step():
        h = x
        for i in range(2):
            h = _maxpool2(_relu(_conv3x3_same(h, w["conv%d/kernel" % i], w["conv%d/bias" % i])))
        h = h.reshape(h.shape[0], -1)
        h = _relu(h @ w["fc0/kernel"] + w["fc0/bias"])
        return h @ w["fc1/kernel"] + w["fc1/bias"]
    return (lambda: [step()]), step


def _col2im3x3(cols, shape):
    """The transpose of _im2col3x3: each patch entry added back onto its input pixel."""
    n, h, wd, c = shape
    taps = cols.reshape(n, h, wd, 3, 3, c)
    dxp = np.zeros((n, h + 2, wd + 2, c), cols.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, i:i + h, j:j + wd] += taps[:, :, :, i, j]
    return dxp[:, 1:-1, 1:-1]


def _windows2x2(x):
    """[n, h/2, w/2, c, 4]: each 2x2 window's values in row-major order."""
    n, h, wd, c = x.shape
    return x.reshape(n, h // 2, 2, wd // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(
        n, h // 2, wd // 2, c, 4)


def _maxpool2_grad(x, grad):
    """MaxPoolGrad: each window's gradient goes to its first maximum (row-major)."""
    n, h, wd, c = x.shape
    first = _windows2x2(x).argmax(axis=-1)[..., None]
    routed = np.zeros((n, h // 2, wd // 2, c, 4), grad.dtype)
    np.put_along_axis(routed, first, grad[..., None], axis=-1)
    return routed.reshape(n, h // 2, wd // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(x.shape)


def _cnn_train_step(w, x, y):
    """One step of MomentumOptimizer (ApplyMomentum) on the CNN; returns the loss before it."""
    lr, momentum = models.CNN_TRAIN_LR, models.CNN_TRAIN_MOMENTUM
    n = x.shape[0]
    convs, h = [], x  # per conv layer: (input, im2col patches, ReLU output)
    for i in range(2):
        cols = _im2col3x3(h)
        kernel = w["conv%d/kernel" % i]
        act = _relu((cols @ kernel.reshape(cols.shape[1], -1) + w["conv%d/bias" % i]).reshape(
            h.shape[:3] + (kernel.shape[3],)))
        convs.append((h, cols, act))
        h = _maxpool2(act)
    flat = h.reshape(n, -1)
    fc0 = _relu(flat @ w["fc0/kernel"] + w["fc0/bias"])
    p = _softmax(fc0 @ w["fc1/kernel"] + w["fc1/bias"])
    loss = np.float32(-np.mean(np.sum(y * np.log(np.maximum(p, 1e-30)), axis=1)))
    grads = {}
    grad = (p - y) / np.float32(n)
    grads["fc1/kernel"], grads["fc1/bias"] = fc0.T @ grad, grad.sum(axis=0)
    grad = (grad @ w["fc1/kernel"].T) * (fc0 > 0)
    grads["fc0/kernel"], grads["fc0/bias"] = flat.T @ grad, grad.sum(axis=0)
    grad = (grad @ w["fc0/kernel"].T).reshape(h.shape)
    for i in (1, 0):
        inp, cols, act = convs[i]
        grad = _maxpool2_grad(act, grad) * (act > 0)
        dy = grad.reshape(-1, grad.shape[3])
        kernel = w["conv%d/kernel" % i]
        grads["conv%d/kernel" % i] = (cols.T @ dy).reshape(kernel.shape)
        grads["conv%d/bias" % i] = dy.sum(axis=0)
        if i > 0:
            grad = _col2im3x3(dy @ kernel.reshape(-1, kernel.shape[3]).T, inp.shape)
    for name, g in grads.items():
        accum = w[name + "/Momentum"]
        accum *= np.float32(momentum)
        accum += g
        w[name] -= np.float32(lr) * accum
    return loss


def make_cnn_train(w, feeds):
    x, y = feeds["x:0"], feeds["y:0"]
    timed = {k: np.array(v, copy=True) for k, v in w.items()}

    def check():
        once = {k: np.array(v, copy=True) for k, v in w.items()}
        loss = _cnn_train_step(once, x, y)
        return [loss, once["conv0/kernel/Momentum"], once["conv1/kernel"]]
    return check, lambda: _cnn_train_step(timed, x, y)


def _mlp_train_step(w, x, y):
    """One Adam step of TF's AdamOptimizer (ApplyAdam); returns the loss before it."""
    acts = _mlp_layers(w, x)
    p = _softmax(acts[-1])
    loss = np.float32(-np.mean(np.sum(y * np.log(np.maximum(p, 1e-30)), axis=1)))
    grad = (p - y) / np.float32(x.shape[0])
    grads = {}
    for i in (2, 1, 0):
        grads["dense%d/kernel" % i] = acts[i].T @ grad
        grads["dense%d/bias" % i] = grad.sum(axis=0)
        if i > 0:
            grad = (grad @ w["dense%d/kernel" % i].T) * (acts[i] > 0)
    b1p, b2p = w["beta1_power"], w["beta2_power"]
    lr_t = ADAM["lr"] * np.sqrt(1 - b2p) / (1 - b1p)
    for name, g in grads.items():
        m, v = w[name + "/Adam"], w[name + "/Adam_1"]
        m += (1 - ADAM["beta1"]) * (g - m)
        v += (1 - ADAM["beta2"]) * (g * g - v)
        w[name] -= (lr_t * m / (np.sqrt(v) + ADAM["eps"])).astype(np.float32)
    w["beta1_power"] = np.float32(b1p * ADAM["beta1"])
    w["beta2_power"] = np.float32(b2p * ADAM["beta2"])
    return loss


def make_mlp_train(w, feeds):
    x, y = feeds["x:0"], feeds["y:0"]
    timed = {k: np.array(v, copy=True) for k, v in w.items()}

    def check():
        once = {k: np.array(v, copy=True) for k, v in w.items()}
        loss = _mlp_train_step(once, x, y)
        return [loss, once["dense2/kernel"]]
    return check, lambda: _mlp_train_step(timed, x, y)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def make_lstm(w, feeds):
    x = feeds["x:0"]
    kernel, bias = w["lstm/kernel"], w["lstm/bias"]
    units = bias.shape[0] // 4

    def step():
        batch, steps, _ = x.shape
        c = np.zeros((batch, units), np.float32)
        h = np.zeros((batch, units), np.float32)
        outputs = np.empty((batch, steps, units), np.float32)
        for t in range(steps):
            gates = np.concatenate([x[:, t], h], axis=1) @ kernel + bias
            i, j, f, o = np.split(gates, 4, axis=1)
            c = c * _sigmoid(f + 1.0) + _sigmoid(i) * np.tanh(j)
            h = np.tanh(c) * _sigmoid(o)
            outputs[:, t] = h
        return outputs
    return (lambda: [step()]), step


def make_while(w, feeds):
    n = int(feeds["n:0"])

    def step():  # a Python loop: numpy has nothing faster for a scalar counter
        i = 0
        while i < n:
            i += 1
        return np.int32(i)
    return (lambda: [step()]), step


def make_chain_identity(rank):
    """Identity forwards its input's buffer: a new view per node is the same work."""
    def make(w, feeds):
        x = np.asarray(feeds["x%d:0" % rank])

        def step():
            h = x
            for _ in range(models.CHAIN_LENGTH):
                h = h.view()
            return h
        return (lambda: [step()]), step
    return make


def make_chain_base(w, feeds):
    x = np.asarray(feeds["x0:0"])
    return (lambda: [x.view()]), x.view


def make_chain_addv2(w, feeds):
    x, c = np.float32(feeds["xa:0"]), np.float32(models.CHAIN_ADDEND)

    def step():  # float32 scalars added one at a time, in the graph's order
        h = x
        for _ in range(models.CHAIN_LENGTH):
            h = h + c
        return h
    return (lambda: [step()]), step


def make_big(w, feeds):
    x = feeds["x:0"]
    half = np.float32(0.5)
    params = [(w["branch%d/kernel" % b], w["branch%d/bias" % b])
              for b in range(models.BIG_BRANCHES)]

    def step():
        total = None
        for kernel, bias in params:
            h = x
            for i in range(models.BIG_LAYERS):
                z = h @ kernel + bias
                h = (np.tanh(z) if i % 2 == 0 else np.maximum(z, 0)) + h * half
            total = h if total is None else total + h
        return total
    return (lambda: [step()]), step
