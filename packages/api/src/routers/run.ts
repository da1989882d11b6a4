import { router } from "../trpc/init.ts";

export const runRouter = router({});
