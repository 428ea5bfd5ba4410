/**
 * The stored shape of a decision record, for adapters that read records back from outside (a JSON
 * file, a DynamoDB item): a record that does not match is corrupt, never trusted.
 */
import { z } from 'zod';
export declare const DecisionRecordSchema: z.ZodObject<{
    messageId: z.ZodString;
    revision: z.ZodNumber;
    subject: z.ZodObject<{
        thingName: z.ZodString;
        capturedAt: z.ZodString;
        modelName: z.ZodString;
        modelVersion: z.ZodString;
        modelVerdict: z.ZodEnum<{
            ok: "ok";
            defect: "defect";
            unclear: "unclear";
        }>;
        imageWidth: z.ZodNumber;
        imageHeight: z.ZodNumber;
    }, z.core.$strict>;
    stack: z.ZodArray<z.ZodObject<{
        verdict: z.ZodEnum<{
            ok: "ok";
            defect: "defect";
        }>;
        boxes: z.ZodArray<z.ZodObject<{
            x: z.ZodNumber;
            y: z.ZodNumber;
            width: z.ZodNumber;
            height: z.ZodNumber;
            label: z.ZodString;
        }, z.core.$strict>>;
        reviewer: z.ZodObject<{
            id: z.ZodString;
            name: z.ZodString;
        }, z.core.$strict>;
        decidedAt: z.ZodString;
        revision: z.ZodNumber;
        actionId: z.ZodString;
    }, z.core.$strict>>;
    log: z.ZodArray<z.ZodDiscriminatedUnion<[z.ZodObject<{
        kind: z.ZodLiteral<"decided">;
        decision: z.ZodObject<{
            verdict: z.ZodEnum<{
                ok: "ok";
                defect: "defect";
            }>;
            boxes: z.ZodArray<z.ZodObject<{
                x: z.ZodNumber;
                y: z.ZodNumber;
                width: z.ZodNumber;
                height: z.ZodNumber;
                label: z.ZodString;
            }, z.core.$strict>>;
            reviewer: z.ZodObject<{
                id: z.ZodString;
                name: z.ZodString;
            }, z.core.$strict>;
            decidedAt: z.ZodString;
            revision: z.ZodNumber;
            actionId: z.ZodString;
        }, z.core.$strict>;
    }, z.core.$strict>, z.ZodObject<{
        kind: z.ZodLiteral<"undone">;
        reviewer: z.ZodObject<{
            id: z.ZodString;
            name: z.ZodString;
        }, z.core.$strict>;
        at: z.ZodString;
        revision: z.ZodNumber;
        actionId: z.ZodString;
        undoneRevision: z.ZodNumber;
    }, z.core.$strict>], "kind">>;
}, z.core.$strict>;
