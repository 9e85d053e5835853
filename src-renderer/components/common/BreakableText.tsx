// An address or host name that may wrap only between its parts (peerView.breakablePieces): a
// narrow pane shows `fe80::1c2b:8a3c:` then `4d5e:9f01%eth0`, never `…8a3c%et` then `h0`.

import { Fragment } from 'react';
import { breakablePieces } from '../../model/peerView.js';

export function BreakableText({ text, className = 'breakable' }: { text: string; className?: string }) {
  return (
    <span className={className}>
      {breakablePieces(text).map((piece, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {piece}
        </Fragment>
      ))}
    </span>
  );
}
