// Product pictures reach a till after the products that name them (fetched by
// digest beside the feed). A picture that is not here yet shows a placeholder; each
// time sync reports news, placeholders try their picture again.
export const pictures = $state({ arrivals: 0 });

/** Sync reported news: pictures that were missing may be here now. */
export function picturesMayHaveArrived(): void {
  pictures.arrivals += 1;
}
