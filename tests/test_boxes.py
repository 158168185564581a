"""The box convention: conversions round-trip, IoU/GIoU agree with direct formulas, no NaN."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxtrack import boxes as bx

coord = st.floats(-500, 500, allow_nan=False, allow_subnormal=False, width=32)
size = st.one_of(st.just(0.0), st.floats(0.0009765625, 300, allow_nan=False, allow_subnormal=False, width=32))  # no denormals


@st.composite
def xyxy(draw):
    x, y, w, h = draw(coord), draw(coord), draw(size), draw(size)
    return np.array([x, y, x + w, y + h], np.float64)


def test_conversions_round_trip():
    xywh = jnp.array([[10.0, 20.0, 30.0, 40.0], [0.0, 0.0, 0.0, 5.0]])
    xyxy_boxes = bx.xywh_to_xyxy(xywh)
    np.testing.assert_allclose(xyxy_boxes, [[10, 20, 40, 60], [0, 0, 0, 5]])
    np.testing.assert_allclose(bx.xyxy_to_xywh(xyxy_boxes), xywh)
    np.testing.assert_allclose(bx.xyxy_to_cxcywh(xyxy_boxes), [[25, 40, 30, 40], [0, 2.5, 0, 5]])
    np.testing.assert_allclose(bx.cxcywh_to_xyxy(bx.xyxy_to_cxcywh(xyxy_boxes)), xyxy_boxes)
    np.testing.assert_allclose(bx.center(xyxy_boxes), [[25, 40], [0, 2.5]])


def _iou_reference(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _giou_reference(a, b):
    union_area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = union_area - w * h
    hull = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    return _iou_reference(a, b) - ((hull - union) / hull if hull > 0 else 0.0)


@settings(max_examples=200, deadline=None)
@given(a=xyxy(), b=xyxy())
def test_iou_and_giou_match_direct_formulas(a, b):
    iou = float(bx.iou(jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)))
    giou = float(bx.giou(jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)))
    assert np.isfinite(iou) and np.isfinite(giou)
    assert 0 <= iou <= 1 and -1 <= giou <= iou + 1e-6
    np.testing.assert_allclose(iou, _iou_reference(a, b), atol=1e-4)
    np.testing.assert_allclose(giou, _giou_reference(a, b), atol=1e-4)


def test_broadcast_equals_elementwise_and_degenerate_boxes_give_zero():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 100, (7, 4)).astype(np.float32)
    a[:, 2:] += a[:, :2]
    b = rng.uniform(0, 100, (5, 4)).astype(np.float32)
    b[:, 2:] += b[:, :2]
    pair = bx.iou(a[:, None], b[None])  # every box of a with every box of b
    assert pair.shape == (7, 5)
    np.testing.assert_allclose(pair, jax.vmap(lambda x: jax.vmap(lambda y: bx.iou(x, y))(b))(a), rtol=1e-6)
    np.testing.assert_allclose(bx.giou(a[:, None], b[None]).diagonal(), bx.giou(a[:5], b), rtol=1e-6)
    point = jnp.array([5.0, 5.0, 5.0, 5.0])
    assert float(bx.iou(point, point)) == 0.0 and float(bx.giou(point, point)) == 0.0
    assert float(bx.area(jnp.array([5.0, 5.0, 1.0, 9.0]))) == 0.0


def test_validity_and_clipping():
    boxes = jnp.array([[0, 0, 10, 10], [0, 0, 0, 10], [np.nan, 0, 1, 1], [5, 5, 4, 9]], jnp.float32)
    np.testing.assert_array_equal(bx.is_valid(boxes), [True, False, False, False])
    np.testing.assert_allclose(bx.clip(jnp.array([-5.0, 3.0, 700.0, 500.0]), 640, 360), [0, 3, 640, 360])


def test_iou_gradient_is_finite_for_touching_boxes():
    grad = jax.grad(lambda a: bx.iou(a, jnp.array([10.0, 0, 20, 10])))(jnp.array([0.0, 0, 10, 10]))
    assert np.all(np.isfinite(np.asarray(grad)))
