"""Byte views of the caller's memory without copies: the payloads `put` sends and the `into` buffers GET fills.

Accepted: anything with the buffer protocol (bytes, bytearray, memoryview, mmap, array.array, numpy arrays of
any dtype) and CPU torch tensors of any dtype, bf16 included. Torch is never imported: a tensor is recognised by
its `data_ptr`/`element_size` methods and viewed through `ctypes` (standard library) at its data pointer, so a
tensor in pinned host memory is read or filled in place. The view keeps the tensor alive. The memory must be
C-contiguous (a block payload is one run of bytes); a GPU tensor must first be copied to host memory.
"""
import ctypes


def byte_view(obj, writable=False, what="buffer"):
    """A flat unsigned-byte memoryview of `obj`'s memory (no copy). TypeError for an unsupported object,
    ValueError for non-contiguous, GPU or (with `writable`) read-only memory."""
    if not isinstance(obj, memoryview) and callable(getattr(obj, "data_ptr", None)) \
            and callable(getattr(obj, "element_size", None)):
        return _tensor_view(obj, what)
    try:
        mv = obj if isinstance(obj, memoryview) else memoryview(obj)
    except TypeError:
        raise TypeError("%s must be bytes-like, a numpy array or a CPU torch tensor, was %s"
                        % (what, type(obj).__name__)) from None
    if writable and mv.readonly:
        raise ValueError("%s is read-only (%s); pass a bytearray, a writable array or a tensor"
                         % (what, type(obj).__name__))
    if mv.format == "B" and mv.ndim == 1:
        return mv
    if not mv.c_contiguous:
        raise ValueError("%s is not C-contiguous; make it contiguous first" % what)
    return mv.cast("B") if mv.ndim <= 1 else mv.cast("B", (mv.nbytes,))


def _tensor_view(t, what):
    device = getattr(t, "device", None)
    kind = getattr(device, "type", "cpu")
    if kind != "cpu":
        raise ValueError("%s is a tensor on %s; copy it to (pinned) host memory first" % (what, device))
    if not t.is_contiguous():
        raise ValueError("%s is a non-contiguous tensor; call .contiguous() first" % what)
    n = t.numel() * t.element_size()
    if n == 0:
        return memoryview(bytearray(0))
    arr = (ctypes.c_ubyte * n).from_address(t.data_ptr())
    arr._kvstore_owner = t  # the view keeps the tensor (and so its memory) alive
    return memoryview(arr).cast("B")
