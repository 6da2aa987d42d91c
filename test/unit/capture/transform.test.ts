import { cropRect, isIdentityTransform, rotatedSize, transformedSize, transformSteps, validateTransform } from '../../../src/capture/transform';

test('rotation swaps width and height for quarter turns', () => {
  expect(rotatedSize(768, 576, 0)).toEqual({ width: 768, height: 576 });
  expect(rotatedSize(768, 576, 90)).toEqual({ width: 576, height: 768 });
  expect(rotatedSize(768, 576, 180)).toEqual({ width: 768, height: 576 });
  expect(rotatedSize(768, 576, 270)).toEqual({ width: 576, height: 768 });
});

test('crop region to pixels', () => {
  expect(cropRect(768, 576, { x: 0, y: 0, width: 1, height: 1 })).toEqual({ x: 0, y: 0, width: 768, height: 576 });
  expect(cropRect(768, 576, { x: 0.25, y: 0.5, width: 0.5, height: 0.5 })).toEqual({ x: 192, y: 288, width: 384, height: 288 });
  // Edges round to the nearest pixel.
  expect(cropRect(100, 100, { x: 0.333, y: 0.111, width: 0.333, height: 0.5 })).toEqual({ x: 33, y: 11, width: 34, height: 50 });
});

test('a tiny or edge crop keeps at least one pixel inside the frame', () => {
  expect(cropRect(100, 50, { x: 1, y: 1, width: 0, height: 0 })).toEqual({ x: 99, y: 49, width: 1, height: 1 });
  expect(cropRect(100, 50, { x: 0.5, y: 0.5, width: 0.001, height: 0.001 })).toEqual({ x: 50, y: 25, width: 1, height: 1 });
});

test('the crop applies to the rotated frame', () => {
  // 768×576 turned 90° is 576×768; the top half of that is 576×384.
  expect(transformedSize(768, 576, { rotate: 90, crop: { x: 0, y: 0, width: 1, height: 0.5 } })).toEqual({ width: 576, height: 384 });
  expect(transformedSize(768, 576, { rotate: 180, flip: 'horizontal' })).toEqual({ width: 768, height: 576 });
});

test('validation lists every problem', () => {
  expect(validateTransform({ rotate: 90, flip: 'vertical', crop: { x: 0.1, y: 0.1, width: 0.5, height: 0.5 } })).toEqual([]);
  expect(validateTransform({ rotate: 45 as 90, flip: 'sideways' as 'none', crop: { x: -0.1, y: 0, width: 2, height: 0.5 } }, 'cameras.a.transform')).toEqual([
    'cameras.a.transform.rotate: must be 0, 90, 180 or 270 (clockwise), got 45',
    'cameras.a.transform.flip: must be none, horizontal, vertical or both, got sideways',
    'cameras.a.transform.crop.x: must be a fraction 0..1, got -0.1',
    'cameras.a.transform.crop.width: must be a fraction 0..1, got 2',
  ]);
  expect(validateTransform({ crop: { x: 0.6, y: 0, width: 0.5, height: 0 } })).toEqual([
    'transform.crop: width and height must be > 0',
    'transform.crop: x + width must be ≤ 1 (got 1.1)',
  ]);
});

test('identity', () => {
  expect(isIdentityTransform(undefined)).toBe(true);
  expect(isIdentityTransform({ rotate: 0, flip: 'none', crop: { x: 0, y: 0, width: 1, height: 1 } })).toBe(true);
  expect(isIdentityTransform({ flip: 'both' })).toBe(false);
});

test('the capture process gets rotate, flip, then a crop measured in the rotated picture; no-ops are left out', () => {
  expect(transformSteps(768, 576, {})).toEqual([]);
  expect(transformSteps(768, 576, { rotate: 0, flip: 'none', crop: { x: 0, y: 0, width: 1, height: 1 } })).toEqual([]);
  expect(transformSteps(768, 576, { rotate: 90, flip: 'horizontal', crop: { x: 0, y: 0.5, width: 0.5, height: 0.5 } })).toEqual([
    { op: 'rotate', degrees: 90 },
    { op: 'flip', axis: 'horizontal' },
    // 576 wide and 768 high after turning: the bottom-left quarter.
    { op: 'crop', rect: { x: 0, y: 384, width: 288, height: 384 } },
  ]);
  // The crop steps agree with the sizes the daemon computes.
  const t = { rotate: 270 as const, crop: { x: 0.1, y: 0.2, width: 0.3, height: 0.4 } };
  const crop = transformSteps(640, 480, t).find((s) => s.op === 'crop');
  expect(crop?.op === 'crop' && { width: crop.rect.width, height: crop.rect.height }).toEqual(transformedSize(640, 480, t));
});
