// Every layer plugin of the workspace, found by shape rather than by name, so a plugin added
// to a layer package is walked by the parity suite without editing this file.
import type { Plugin } from '@hubel/core';
import * as activation from '@hubel/layers-activation';
import * as conv from '@hubel/layers-conv';
import * as dense from '@hubel/layers-dense';
import * as loss from '@hubel/layers-loss';
import * as norm from '@hubel/layers-norm';
import * as pool from '@hubel/layers-pool';
import * as tensor from '@hubel/layers-tensor';

function isPlugin(v: unknown): v is Plugin {
  return typeof v === 'object' && v !== null && typeof (v as Plugin).name === 'string' && Array.isArray((v as Plugin).layers);
}

/** The layer plugins exported by the layer packages. */
export const layerPlugins: Plugin[] = [dense, activation, loss, conv, pool, norm, tensor].flatMap((m) => Object.values(m).filter(isPlugin));
