import { Registry, type Plugin } from '@hubel/core';
import { activationLayers } from '@hubel/layers-activation';
import { convLayers } from '@hubel/layers-conv';
import { denseLayers } from '@hubel/layers-dense';
import { lossLayers } from '@hubel/layers-loss';
import { normLayers } from '@hubel/layers-norm';
import { poolLayers } from '@hubel/layers-pool';

/** The layer plugins the zoo's models use (plus the losses their trainers apply). */
export const zooPlugins: readonly Plugin[] = [denseLayers, activationLayers, convLayers, poolLayers, normLayers, lossLayers];

/** A fresh registry with every zoo plugin registered; add a backend plugin to create backends by name. */
export function zooRegistry(...extra: Plugin[]): Registry {
  return new Registry().use(...zooPlugins, ...extra);
}
