import { FEEDBACK_SCHEMA } from '../../src/hooks/feedback-schema.js';
import { outcomeIssues } from '../../src/hooks/zod-issues.js';

function paths(body: unknown): string[] {
  const r = FEEDBACK_SCHEMA.safeParse(body);
  return r.success ? [] : outcomeIssues(r.error.issues).map((i) => i.expression ?? '');
}

const accepted = {
  card: '9368d37b-283f-44a0-93ea-547cebab93ed',
  outcome: 'accepted',
  acceptedSuggestions: [{ id: 'e56e1945-20b3-4393-8503-a1a20fd73152' }],
  outcomeTimestamp: '2024-04-12T23:20:50.52Z',
};

describe('feedback schema', () => {
  it('accepts the CDS Hooks 2.0 shapes', () => {
    const r = FEEDBACK_SCHEMA.parse({
      feedback: [
        accepted,
        {
          card: 'c2',
          outcome: 'overridden',
          overrideReason: {
            reason: { system: 'https://aibl-cds.example.org/override-reason', code: 'dxa-elsewhere' },
            userComment: 'done at the other hospital',
          },
          outcomeTimestamp: '2024-04-12T23:20:50+02:00',
        },
        {
          card: 'c3',
          outcome: 'overridden',
          overrideReason: { userComment: 'not now' },
          outcomeTimestamp: '2024-04-12T23:20:50Z',
        },
        { card: 'c4', outcome: 'overridden', outcomeTimestamp: '2024-04-12t23:20:50z' },
      ],
    });
    expect(r.feedback[1]?.overrideReason).toEqual({
      reason: { system: 'https://aibl-cds.example.org/override-reason', code: 'dxa-elsewhere' },
      userComment: 'done at the other hospital',
    });
    expect(r.feedback[2]?.overrideReason).toEqual({ userComment: 'not now' });
    expect(r.feedback[3]?.overrideReason).toBeUndefined();
  });

  it('reads the legacy flat override reason as reason', () => {
    const r = FEEDBACK_SCHEMA.parse({
      feedback: [
        {
          card: 'c',
          outcome: 'overridden',
          overrideReason: { code: 'patient-declined', system: 'http://example.org/r', display: 'Patient declined' },
          outcomeTimestamp: '2024-04-12T23:20:50Z',
        },
      ],
    });
    expect(r.feedback[0]?.overrideReason).toEqual({
      reason: { code: 'patient-declined', system: 'http://example.org/r', display: 'Patient declined' },
    });
  });

  it.each([
    [{}, ['feedback']],
    [{ feedback: [] }, ['feedback']],
    [{ feedback: [{ ...accepted, outcome: 'ignored' }] }, ['feedback[0].outcome']],
    [{ feedback: [{ ...accepted, acceptedSuggestions: undefined }] }, ['feedback[0].acceptedSuggestions']],
    [{ feedback: [{ ...accepted, acceptedSuggestions: [] }] }, ['feedback[0].acceptedSuggestions']],
    [{ feedback: [{ ...accepted, acceptedSuggestions: [{}] }] }, ['feedback[0].acceptedSuggestions[0].id']],
    [{ feedback: [{ ...accepted, outcomeTimestamp: '2024-04-12 23:20' }] }, ['feedback[0].outcomeTimestamp']],
    [{ feedback: [{ ...accepted, outcomeTimestamp: '2024-04-12T23:20:50' }] }, ['feedback[0].outcomeTimestamp']],
    [{ feedback: [{ ...accepted, outcomeTimestamp: '2024-13-12T23:20:50Z' }] }, ['feedback[0].outcomeTimestamp']],
    [{ feedback: [{ ...accepted, outcomeTimestamp: '2023-02-29T23:20:50Z' }] }, ['feedback[0].outcomeTimestamp']],
    [{ feedback: [{ ...accepted, card: '' }] }, ['feedback[0].card']],
    [
      { feedback: [accepted, { card: 'x', outcome: 'overridden', overrideReason: {}, outcomeTimestamp: 'yesterday' }] },
      ['feedback[1].overrideReason.reason', 'feedback[1].outcomeTimestamp'],
    ],
    [
      {
        feedback: [
          {
            card: 'x',
            outcome: 'overridden',
            overrideReason: { reason: { code: 'a' } },
            outcomeTimestamp: accepted.outcomeTimestamp,
          },
        ],
      },
      ['feedback[0].overrideReason.reason.system'],
    ],
    [
      {
        feedback: [
          {
            card: 'x',
            outcome: 'overridden',
            overrideReason: { code: 'a' },
            outcomeTimestamp: accepted.outcomeTimestamp,
          },
        ],
      },
      ['feedback[0].overrideReason.system'],
    ],
    [
      { feedback: [{ card: 5, outcome: 'accepted', outcomeTimestamp: accepted.outcomeTimestamp }] },
      ['feedback[0].card', 'feedback[0].acceptedSuggestions'],
    ],
  ])('rejects %j at %j', (body, expected) => {
    expect(paths(body).sort()).toEqual([...expected].sort());
  });
});
